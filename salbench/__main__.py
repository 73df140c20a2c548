import sys

from salbench.cli.main import main

sys.exit(main())
