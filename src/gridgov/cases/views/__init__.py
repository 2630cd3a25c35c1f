"""The case pages, one module per audience: the office's queues and case page (`pages`), the
printable slips (`slips`), the grid worker's phone pages (`phone`) and the residents' report and
tracking pages (`resident`). Thin handlers: parse input, look up through the user's scope, call
one service and render."""
