"""py_test entry point: runs one test file of the conformance suite through
pytest. Usage: run_pytest.py TEST_FILE [pytest args...], e.g.
`bazel test //conformance:test_sizes --test_arg=--hypothesis-profile=ci`."""
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv):
    if not argv:
        print("usage: run_pytest.py TEST_FILE [pytest args...]", file=sys.stderr)
        return 2
    sys.path.insert(0, HERE)
    # An ASan-built library (bazel test --config=asan) loads only into a
    # process that has the ASan runtime: start again with it preloaded.
    from kmem import asan, lib
    asan.reexec_if_needed(lib.find_library())
    args = [argv[0], "-q", "-p", "no:cacheprovider", "-c", os.path.join(HERE, "pytest.ini"),
            "--rootdir", HERE, "-rs"] + argv[1:]
    xml = os.environ.get("XML_OUTPUT_FILE")
    if xml:
        args.append(f"--junitxml={xml}")
    return pytest.main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
