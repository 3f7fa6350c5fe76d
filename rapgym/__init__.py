"""rapgym: multi-user end-cloud collaborative DNN inference environment."""
