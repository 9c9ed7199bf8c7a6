"""Analysis pipeline: pure stages over records and DataFrames."""
