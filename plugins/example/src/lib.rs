//! An example custom handler plugin for peerd: signed text notes, stored and queryable.
