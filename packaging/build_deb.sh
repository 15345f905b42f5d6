#!/usr/bin/env bash
# Build a Debian package of the desktop app from the PyInstaller one-folder build.
#
#   packaging/build_deb.sh          # -> build/parley_<version>_<arch>.deb
#
# Builds the folder with packaging/parley.spec when it is missing, runs the frozen
# build's headless smoke test (refusing to package a build that does not start), then
# lays out /opt/parley, /usr/bin/parley, a .desktop entry and an icon and calls
# dpkg-deb. Needs dpkg-deb (Debian/Ubuntu) and the .venv from packaging/dev.sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
BUILD="$ROOT/build"
DIST="${DIST:-$BUILD/dist/parley}"

if [[ ! -x "$DIST/parley" ]]; then
  "$VENV/bin/pyinstaller" "$ROOT/packaging/parley.spec" --noconfirm \
    --distpath "$BUILD/dist" --workpath "$BUILD/pyinstaller"
fi

echo "parley: smoke-testing the frozen build"
"$DIST/parley" --smoke-test

VERSION="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("parley"))')"
ARCH="$(dpkg --print-architecture)"
STAGE="$(mktemp -d)"
trap 'rm -rf "$STAGE"' EXIT

mkdir -p "$STAGE/DEBIAN" "$STAGE/opt/parley" "$STAGE/usr/bin" \
  "$STAGE/usr/share/applications" "$STAGE/usr/share/icons/hicolor/256x256/apps"
cp -a "$DIST/." "$STAGE/opt/parley/"
ln -s /opt/parley/parley "$STAGE/usr/bin/parley"

QT_QPA_PLATFORM=offscreen "$VENV/bin/python" - "$STAGE/usr/share/icons/hicolor/256x256/apps/parley.png" <<'PY'
import sys
from parley.client.icon import app_icon
from parley.client.qt import QtWidgets
app = QtWidgets.QApplication([])
assert app_icon(0, 256).pixmap(256, 256).save(sys.argv[1])
PY

cat > "$STAGE/usr/share/applications/parley.desktop" <<DESKTOP
[Desktop Entry]
Type=Application
Name=Parley
Comment=Self-hosted real-time chat
Exec=/usr/bin/parley
Icon=parley
Terminal=false
Categories=Network;Chat;InstantMessaging;
DESKTOP

SIZE_KB="$(du -sk "$STAGE" | cut -f1)"
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: parley
Version: $VERSION
Architecture: $ARCH
Maintainer: Parley developers <parley@localhost>
Installed-Size: $SIZE_KB
Depends: libgl1, libegl1, libfontconfig1, libxkbcommon0, libxkbcommon-x11-0, libxcb-cursor0, libxcb-icccm4, libxcb-image0, libxcb-keysyms1, libxcb-render-util0, libxcb-shape0, libdbus-1-3
Section: net
Priority: optional
Description: Parley, self-hosted real-time chat
 The Parley desktop app with its built-in server on SQLite: one command gives a
 working chat; "Connect to server" joins a team deployment.
CONTROL

mkdir -p "$BUILD"
OUT="$BUILD/parley_${VERSION}_${ARCH}.deb"
dpkg-deb --build --root-owner-group "$STAGE" "$OUT"
echo "parley: built $OUT"
