"""Analysis helpers for the notebooks (figures, fonts, the headless notebook runner). Reads
only the published tables; never imports the stages."""
