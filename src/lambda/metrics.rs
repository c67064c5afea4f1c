//! CloudWatch embedded metric format (EMF): one JSON line per invocation on stdout, which
//! CloudWatch Logs turns into metrics without any API call.

use serde_json::json;

/// The namespace the metrics appear under.
pub const NAMESPACE: &str = "OrkProcessor";

/// Counters and timings of one invocation.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Metrics {
    pub designs_processed: u64,
    pub designs_invalid: u64,
    pub designs_deleted: u64,
    pub skipped: u64,
    pub unchanged: u64,
    pub failures_transient: u64,
    /// Records that failed in a way a retry alone will not fix (credentials, settings).
    pub failures_permanent: u64,
    pub parse_ms: f64,
    pub render_ms: f64,
    pub upload_ms: f64,
    pub graph_ms: f64,
}

impl Metrics {
    /// Adds the stage times of one record (whether or not it succeeded: a failed graph write
    /// may have taken seconds of retries).
    pub fn add_stage_times(&mut self, times: &crate::pipeline::StageTimes) {
        let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
        self.parse_ms += ms(times.parse);
        self.render_ms += ms(times.render);
        self.upload_ms += ms(times.upload);
        self.graph_ms += ms(times.graph);
    }

    /// The EMF document for these metrics, with `timestamp_ms` as its time.
    pub fn emf(&self, function: &str, timestamp_ms: u64) -> serde_json::Value {
        let names = [
            ("DesignsProcessed", "Count", self.designs_processed as f64),
            ("DesignsInvalid", "Count", self.designs_invalid as f64),
            ("DesignsDeleted", "Count", self.designs_deleted as f64),
            ("RecordsSkipped", "Count", self.skipped as f64),
            ("DesignsUnchanged", "Count", self.unchanged as f64),
            ("FailuresTransient", "Count", self.failures_transient as f64),
            (
                "FailuresPermanent",
                "Count",
                (self.designs_invalid + self.failures_permanent) as f64,
            ),
            ("ParseMs", "Milliseconds", self.parse_ms),
            ("RenderMs", "Milliseconds", self.render_ms),
            ("UploadMs", "Milliseconds", self.upload_ms),
            ("GraphMs", "Milliseconds", self.graph_ms),
        ];
        let mut doc = json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [["Function"]],
                    "Metrics": names.iter().map(|(n, u, _)| json!({"Name": n, "Unit": u})).collect::<Vec<_>>(),
                }],
            },
            "Function": function,
        });
        for (n, _, v) in names {
            doc[n] = json!(v);
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emf_names_every_metric_it_carries() {
        let m = Metrics {
            designs_processed: 2,
            parse_ms: 1.5,
            ..Metrics::default()
        };
        let doc = m.emf("ork", 1_700_000_000_000);
        let declared = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap();
        for d in declared {
            let name = d["Name"].as_str().unwrap();
            assert!(doc[name].is_number(), "{name} has a value");
        }
        assert_eq!(doc["DesignsProcessed"], 2.0);
        assert_eq!(doc["ParseMs"], 1.5);
        assert_eq!(
            doc["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0][0],
            "Function"
        );
        assert_eq!(doc["Function"], "ork");
    }
}
