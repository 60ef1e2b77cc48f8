"""python3 -m deepobs_analyzer <analyze|check|estimate-runtime|prepare-baselines> ..."""

import sys

from deepobs_analyzer.cli import main

if __name__ == "__main__":
    sys.exit(main())
