score_dtype = "Int16"
