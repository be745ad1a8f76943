"""Reports rendered from result records (nothing is recomputed on the way): ``build`` makes the
``nn-parity/report/v1`` document, and each format module writes it."""

from parity.report.document import SCHEMA, build

__all__ = ["SCHEMA", "build"]
