"""Map the root folders fixed by the product card onto the ``parley.*`` import names.

pyproject.toml holds all metadata; this file only exists because setuptools cannot
discover sub-packages under a remapped package directory declaratively.
"""

from setuptools import find_packages, setup

ROOTS = ("client", "server", "shared", "sql")

packages = [
    f"parley.{name}" for root in ROOTS for name in find_packages(".", include=[root, f"{root}.*"])
]

setup(
    packages=packages,
    package_dir={f"parley.{root}": root for root in ROOTS},
    package_data={
        "parley.sql": ["sqlite/*.sql", "mssql/*.sql", "mssql/**/*.sql", "mssql/**/*.txt"],
        "parley.server": ["moderation/models/*", "moderation/rules/*"],
        "parley.shared": ["py.typed"],
        "parley.client": ["resources/*", "resources/**/*"],
        "parley.server.store": [],
    },
    include_package_data=True,
)
