bad_line = 5
bad_column = "score"
