"""What every stage shares: storage and the build folder, the raw folder's sources, settings,
rules loading, the records passed between stages, shared text patterns, parallel maps,
progress, the build lock and the run summary. Imports nothing from the stages."""
