"""stub"""
CASES = ()
CORPUS = None
