//! Domain queries. Every function takes a connection (the writer's, inside
//! its transaction, or a pooled reader).
