"""The command line: click only — parse, call one library function, render."""
