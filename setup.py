"""The one compiled module, the MplusKASSA SOAP decoder; everything else is in pyproject.toml.

It is built against the lxml that is installed (its C API and libxml2's headers ship in lxml's
wheel), so ``make`` installs the project without build isolation, after the lock's lxml. Where no
C compiler is found the build fails loudly; set KOPPEL_PURE_PYTHON=1 to install without it (the
reference decoder in soap.py then runs).
"""

import os

from setuptools import setup

if os.environ.get("KOPPEL_PURE_PYTHON"):
    setup()
else:
    import lxml
    from Cython.Build import cythonize
    from setuptools import Extension

    decoder = Extension(
        "connectors.mpluskassa._soap_decoder",
        ["connectors/mpluskassa/_soap_decoder.pyx"],
        include_dirs=lxml.get_include(),
    )
    setup(ext_modules=cythonize([decoder], language_level=3, quiet=True))
