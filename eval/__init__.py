"""Evaluation of the analysis on labelled development corpora (see eval/SPLITS.md)."""
