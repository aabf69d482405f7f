"""Make the DAG folder's pure module (`meltano_dag_specs`) importable by the tests.

Airflow puts its DAG folder on sys.path when it parses DAG files; the tests do the same.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = PROJECT_ROOT / "orchestrate" / "airflow" / "dags"

if str(DAGS_DIR) not in sys.path:
    sys.path.insert(0, str(DAGS_DIR))
