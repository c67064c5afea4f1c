//! Batch reprocessing of a design bucket (`ork reprocess`). Work in progress.
