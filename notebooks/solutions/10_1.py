load_states = {
    "2024-01-02": "success",
    "2024-01-03": "success",
    "2024-01-04": "failed",
    "2024-01-05": "waiting",
    "2024-01-06": "not started",
}
