"""The command line: `salbench list | run | show | report`."""
