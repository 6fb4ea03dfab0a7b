"""The command line: one module per subcommand (``bench.cli.main`` holds the parser and its command
table), the selection flags declared once (``bench.cli.selection``), and what every command
shares (``bench.cli.common``)."""
