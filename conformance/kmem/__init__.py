"""ctypes binding to a kmem-harness allocator library, plus the suite's own
models (spec), /proc parsers (procfs), trace recording (trace) and crash
isolation (isolate). Standard library only."""
from . import spec
from .instance import Kh, profile_config, profile_names, profile_of
from .lib import find_library, load, load_adapter

__all__ = ["Kh", "find_library", "load", "load_adapter", "profile_config", "profile_names",
           "profile_of", "spec"]
