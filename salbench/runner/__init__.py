"""The runner: expands scenario × backend × seed × sweep into cells and runs each in its
own process."""
