"""The server-rendered pages, one module per audience (STYLE: thin handlers that parse input,
look up through the user's scope, call one service and render)."""
