//! A [`GraphSink`] that opens its Neo4j connection on first use: cold start stays free of
//! network I/O, and the connection is made while (or after) the first object downloads.

use tokio::sync::OnceCell;

use crate::graph::{
    Fingerprint, GraphConfig, GraphError, GraphPlan, GraphSink, Neo4jSink, StoredDesign, WriteStats,
};

/// Connects (and creates the schema) once, on the first call that needs the database.
pub struct LazyNeo4j {
    config: GraphConfig,
    sink: OnceCell<Neo4jSink>,
}

impl LazyNeo4j {
    pub fn new(config: GraphConfig) -> Self {
        Self {
            config,
            sink: OnceCell::new(),
        }
    }

    async fn sink(&self) -> Result<&Neo4jSink, GraphError> {
        self.sink
            .get_or_try_init(|| async {
                let sink = Neo4jSink::connect(self.config.clone()).await?;
                sink.ensure_schema().await?;
                Ok(sink)
            })
            .await
    }
}

impl GraphSink for LazyNeo4j {
    async fn ensure_schema(&self) -> Result<(), GraphError> {
        self.sink().await.map(|_| ())
    }

    async fn write_design(&self, plan: &GraphPlan) -> Result<WriteStats, GraphError> {
        self.sink().await?.write_design(plan).await
    }

    async fn delete_design(
        &self,
        design_id: &str,
        guard: Option<&str>,
    ) -> Result<bool, GraphError> {
        self.sink().await?.delete_design(design_id, guard).await
    }

    async fn stored(&self, design_ids: &[String]) -> Result<Vec<StoredDesign>, GraphError> {
        self.sink().await?.stored(design_ids).await
    }

    async fn existing_fingerprint(
        &self,
        design_id: &str,
    ) -> Result<Option<Fingerprint>, GraphError> {
        self.sink().await?.existing_fingerprint(design_id).await
    }
}
