"""The conversation list: model, row painting and the panel that holds them."""
