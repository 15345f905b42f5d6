"""One conversation: its message model, bubble painting, composer and panel."""
