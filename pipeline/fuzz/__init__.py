"""A seeded mutation fuzzer for the readers: damaged, hostile and oddly named PDFs built beside
one good file through the real stages (see run.py; `make fuzz N=1000 SEED=13`)."""
