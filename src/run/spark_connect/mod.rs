//! A Spark Connect client: cpic's queries (the Spark dialect's) sent to a
//! Spark Connect server (`--db sc://...`, a Spark cluster, Databricks, or
//! the server in the PySpark wheel) over gRPC, results read from the Arrow
//! batches the server streams back.
//!
//! Why our own client: the one crate family that speaks the protocol
//! (`apache-spark-connect`, with `spark-connect` on top) brings a second
//! arrow (58, where DuckDB brings 60) and needs a system `protoc` to
//! build; cpic needs three calls of the protocol (`Config`, `ExecutePlan`,
//! `Interrupt`), generated from Spark's own definitions
//! (`crates/spark-connect-proto`).
//!
//! The calls are blocking: each runs to completion on a current-thread
//! tokio runtime the connection owns.

mod arrow;
mod statements;
pub mod url;

use std::time::Duration;

use spark_connect_proto::spark::connect as proto;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, ClientTlsConfig, Endpoint};

use proto::spark_connect_service_client::SparkConnectServiceClient;

use super::cell::{error_chain, with_causes, Cell, ColumnKind};
pub use url::ConnectUrl;

/// The largest message cpic accepts from the server (an Arrow batch),
/// as PySpark's default.
const MAX_MESSAGE: usize = 128 * 1024 * 1024;

/// An open Spark Connect session.
pub struct SparkConnect {
    runtime: tokio::runtime::Runtime,
    client: SparkConnectServiceClient<InterceptedService<Channel, Headers>>,
    session_id: String,
    user_context: Option<proto::UserContext>,
    client_type: String,
    query_timeout: Duration,
    /// The server's id for the session, sent back with every call so that
    /// a server that lost the session (restarted) says so instead of
    /// silently starting a new one without the session's settings.
    server_session: Option<String>,
}

impl SparkConnect {
    /// Connects, and sets the session's time zone to UTC (periods are
    /// computed in UTC whatever the server's zone).
    pub fn connect(url: &ConnectUrl) -> Result<SparkConnect, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let scheme = if url.tls() { "https" } else { "http" };
        let mut endpoint = Endpoint::from_shared(format!("{scheme}://{}", url.authority()))
            .map_err(|e| error_chain(&e))?
            .connect_timeout(url.connect_timeout)
            .tcp_nodelay(true);
        if let Some(keepalive) = &url.keepalive {
            endpoint = endpoint
                .http2_keep_alive_interval(keepalive.interval)
                .keep_alive_timeout(keepalive.timeout)
                .keep_alive_while_idle(keepalive.while_idle);
        }
        if url.tls() {
            endpoint = endpoint
                .tls_config(
                    ClientTlsConfig::new()
                        .with_native_roots()
                        .domain_name(url.host.clone()),
                )
                .map_err(|e| error_chain(&e))?;
        }
        let headers = Headers::from_url(url)?;
        let channel = runtime.block_on(async {
            tokio::time::timeout(url.connect_timeout, endpoint.connect())
                .await
                .map_err(|_| no_answer(url.connect_timeout))?
                .map_err(|e| error_chain(&e))
        })?;
        let client = SparkConnectServiceClient::with_interceptor(channel, headers)
            .max_decoding_message_size(MAX_MESSAGE);
        let mut session = SparkConnect {
            runtime,
            client,
            session_id: url
                .session_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            user_context: url.user_id.as_ref().map(|id| proto::UserContext {
                user_id: id.clone(),
                user_name: id.clone(),
                extensions: Vec::new(),
            }),
            client_type: url
                .user_agent
                .clone()
                .unwrap_or_else(|| format!("cpic/{}", env!("CARGO_PKG_VERSION"))),
            query_timeout: url.query_timeout,
            server_session: None,
        };
        session.set_utc(url.connect_timeout)?;
        Ok(session)
    }

    fn set_utc(&mut self, timeout: Duration) -> Result<(), String> {
        use proto::config_request::{operation::OpType, Operation, Set};
        let request = proto::ConfigRequest {
            session_id: self.session_id.clone(),
            client_observed_server_side_session_id: None,
            user_context: self.user_context.clone(),
            operation: Some(Operation {
                op_type: Some(OpType::Set(Set {
                    pairs: vec![proto::KeyValue {
                        key: "spark.sql.session.timeZone".to_string(),
                        value: Some("UTC".to_string()),
                    }],
                    silent: None,
                })),
            }),
            client_type: Some(self.client_type.clone()),
        };
        let client = &mut self.client;
        let response = self.runtime.block_on(async {
            tokio::time::timeout(timeout, client.config(request))
                .await
                .map_err(|_| no_answer(timeout))?
                .map_err(|status| status_message(&status))
        })?;
        self.server_session = Some(response.into_inner().server_side_session_id);
        Ok(())
    }

    /// Runs `sql` and reads its columns as `kinds`.
    pub fn query(&mut self, sql: &str, kinds: &[ColumnKind]) -> Result<Vec<Vec<Cell>>, String> {
        let batches = self.execute(sql, Plan::Query)?;
        arrow::rows(&batches, kinds)
    }

    /// Runs statements separated by `;` that return nothing, one by one.
    pub fn execute_batch(&mut self, sql: &str) -> Result<(), String> {
        for statement in statements::split(sql) {
            self.execute(statement, Plan::Command)?;
        }
        Ok(())
    }

    /// Executes one statement: a query as the plan's root relation, a
    /// command as a `SqlCommand` (run once, eagerly, as `spark.sql` does),
    /// and returns the Arrow IPC streams of its result.
    fn execute(&mut self, sql: &str, plan: Plan) -> Result<Vec<Vec<u8>>, String> {
        use proto::execute_plan_response::ResponseType;
        let relation = proto::Relation {
            common: None,
            rel_type: Some(proto::relation::RelType::Sql(proto::Sql {
                query: sql.to_string(),
                ..Default::default()
            })),
        };
        let op_type = match plan {
            Plan::Query => proto::plan::OpType::Root(relation),
            Plan::Command => proto::plan::OpType::Command(proto::Command {
                command_type: Some(proto::command::CommandType::SqlCommand(proto::SqlCommand {
                    input: Some(relation),
                    ..Default::default()
                })),
            }),
        };
        let operation_id = uuid::Uuid::new_v4().to_string();
        let request = proto::ExecutePlanRequest {
            session_id: self.session_id.clone(),
            client_observed_server_side_session_id: self.server_session.clone(),
            user_context: self.user_context.clone(),
            operation_id: Some(operation_id.clone()),
            plan: Some(proto::Plan {
                op_type: Some(op_type),
            }),
            client_type: Some(self.client_type.clone()),
            request_options: Vec::new(),
            tags: Vec::new(),
        };
        let timeout = self.query_timeout;
        let client = &mut self.client;
        let result = self.runtime.block_on(async {
            let run = async {
                let mut stream = client
                    .execute_plan(request)
                    .await
                    .map_err(|status| status_message(&status))?
                    .into_inner();
                let mut batches = Vec::new();
                while let Some(response) = stream
                    .message()
                    .await
                    .map_err(|status| status_message(&status))?
                {
                    if let Some(ResponseType::ArrowBatch(batch)) = response.response_type {
                        batches.push(batch.data);
                    }
                }
                Ok::<_, String>(batches)
            };
            tokio::time::timeout(timeout, run).await
        });
        match result {
            Ok(batches) => batches,
            Err(_) => {
                self.interrupt(&operation_id);
                Err(format!(
                    "the query did not finish within {} s (query_timeout) and was interrupted",
                    timeout.as_secs_f64()
                ))
            }
        }
    }

    /// Asks the server to stop an operation cpic gave up on (best effort:
    /// the error reported is the time-out).
    fn interrupt(&mut self, operation_id: &str) {
        use proto::interrupt_request::{Interrupt, InterruptType};
        let request = proto::InterruptRequest {
            session_id: self.session_id.clone(),
            client_observed_server_side_session_id: self.server_session.clone(),
            user_context: self.user_context.clone(),
            client_type: Some(self.client_type.clone()),
            interrupt_type: InterruptType::OperationId as i32,
            interrupt: Some(Interrupt::OperationId(operation_id.to_string())),
        };
        let client = &mut self.client;
        let _ = self.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(10), client.interrupt(request)).await
        });
    }
}

impl Drop for SparkConnect {
    /// Releases the session on the server (best effort).
    fn drop(&mut self) {
        let request = proto::ReleaseSessionRequest {
            session_id: self.session_id.clone(),
            user_context: self.user_context.clone(),
            client_type: Some(self.client_type.clone()),
            allow_reconnect: false,
        };
        let client = &mut self.client;
        let _ = self.runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), client.release_session(request)).await
        });
    }
}

#[derive(Clone, Copy)]
enum Plan {
    Query,
    Command,
}

/// The headers of every call: the bearer token and the URL's other
/// parameters.
#[derive(Clone)]
struct Headers(Vec<(AsciiMetadataKey, AsciiMetadataValue)>);

impl Headers {
    fn from_url(url: &ConnectUrl) -> Result<Headers, String> {
        let mut headers = Vec::new();
        if let Some(token) = &url.token {
            let mut value = AsciiMetadataValue::try_from(format!("Bearer {token}"))
                .map_err(|_| "the token has characters a header cannot carry".to_string())?;
            value.set_sensitive(true);
            headers.push((AsciiMetadataKey::from_static("authorization"), value));
        }
        for (name, value) in &url.headers {
            let key = AsciiMetadataKey::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{name}` cannot be a header name"))?;
            let value = AsciiMetadataValue::try_from(value.as_str())
                .map_err(|_| format!("the value of `{name}` cannot be a header value"))?;
            headers.push((key, value));
        }
        Ok(Headers(headers))
    }
}

impl tonic::service::Interceptor for Headers {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        for (key, value) in &self.0 {
            request.metadata_mut().insert(key.clone(), value.clone());
        }
        Ok(request)
    }
}

/// The error of a call the server did not answer within `connect_timeout`.
fn no_answer(timeout: Duration) -> String {
    format!(
        "no answer within {} s (connect_timeout)",
        timeout.as_secs_f64()
    )
}

/// The server's message (Spark's own, e.g. `[TABLE_OR_VIEW_NOT_FOUND] ...`),
/// or for a call that never reached it, the transport's reasons.
fn status_message(status: &tonic::Status) -> String {
    let message = status.message().trim();
    let text = if message.is_empty() {
        format!("{:?}", status.code())
    } else {
        message.to_string()
    };
    with_causes(text, std::error::Error::source(status))
}
