//! Query strings. The parameters an operation takes are the ones the OpenAPI document lists
//! for it, so the document and the server cannot disagree: any other parameter answers 400
//! `unknown_parameter`, a parameter given twice 400 `duplicate_parameter`, before the
//! handler runs. Handlers read their parameters with [`Query`], whose errors are the API's
//! own JSON errors, never the framework's text.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

/// The query parameters of every documented operation, by method and route template.
pub struct KnownParameters {
    by_operation: HashMap<(Method, String), HashSet<String>>,
}

impl KnownParameters {
    /// Reads them from the OpenAPI document (`paths.{template}.{method}.parameters`).
    pub fn from_document(document: &serde_json::Value) -> KnownParameters {
        let mut by_operation = HashMap::new();
        let paths = document["paths"].as_object().into_iter().flatten();
        for (template, item) in paths {
            for (method, operation) in item.as_object().into_iter().flatten() {
                let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else { continue };
                let names = operation["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str().map(str::to_string))
                    .collect();
                by_operation.insert((method, template.clone()), names);
            }
        }
        KnownParameters { by_operation }
    }

    /// What is wrong with `query` for the operation, if anything; `None` also for an
    /// operation the document does not describe (health checks, the document itself).
    fn fault(&self, method: &Method, template: &str, query: &str) -> Option<ApiError> {
        let known = self.by_operation.get(&(method.clone(), template.to_string()))?;
        let mut seen = HashSet::new();
        for (name, _) in form_urlencoded::parse(query.as_bytes()) {
            if !known.contains(name.as_ref()) {
                return Some(unknown(&name, known));
            }
            if !seen.insert(name.clone()) {
                let message = format!("the query parameter {name} is given more than once");
                return Some(ApiError::invalid("duplicate_parameter", message, name));
            }
        }
        None
    }
}

fn unknown(name: &str, known: &HashSet<String>) -> ApiError {
    let mut names: Vec<&str> = known.iter().map(String::as_str).collect();
    names.sort_unstable();
    let takes = match names.as_slice() {
        [] => "this endpoint takes no query parameters".to_string(),
        names => format!("this endpoint takes {}", names.join(", ")),
    };
    ApiError::invalid("unknown_parameter", format!("unknown query parameter {name}: {takes}"), name)
}

/// Refuses a request whose query string names a parameter its operation does not take.
pub async fn check(State(known): State<Arc<KnownParameters>>, request: Request, next: Next) -> Response {
    // Most requests carry no query string: they are let through without a lookup.
    if let (Some(template), Some(query)) = (request.extensions().get::<MatchedPath>(), request.uri().query()) {
        if let Some(fault) = known.fault(request.method(), template.as_str(), query) {
            return fault.into_response();
        }
    }
    next.run(request).await
}

/// A handler's query parameters. Unknown and repeated names were refused already; what is
/// left to fail is a value that does not decode, answered in the API's own words.
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(_) => Err(ApiError::bad_request("invalid_query", "the query string could not be read")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownParameters {
        KnownParameters::from_document(&serde_json::json!({"paths": {
            "/v1/users": {"get": {"parameters": [
                {"name": "limit", "in": "query"}, {"name": "starting_after", "in": "query"},
                {"name": "Idempotency-Key", "in": "header"}]},
                "post": {"parameters": [{"name": "Idempotency-Key", "in": "header"}]}},
        }}))
    }

    fn code(fault: Option<ApiError>) -> Option<(&'static str, String)> {
        fault.map(|e| (e.code(), e.param().unwrap_or_default().to_string()))
    }

    #[test]
    fn only_the_documented_parameters_pass() {
        let known = known();
        assert!(known.fault(&Method::GET, "/v1/users", "limit=5&starting_after=usr_1").is_none());
        assert!(known.fault(&Method::GET, "/v1/users", "").is_none());
        let fault = known.fault(&Method::GET, "/v1/users", "limit=5&expand=all");
        assert_eq!(code(fault), Some(("unknown_parameter", "expand".into())));
        // A header parameter is not a query parameter; POST takes none.
        let fault = known.fault(&Method::POST, "/v1/users", "Idempotency-Key=k");
        assert_eq!(code(fault), Some(("unknown_parameter", "Idempotency-Key".into())));
        // Names are compared decoded, as the handler will read them.
        assert!(known.fault(&Method::GET, "/v1/users", "li%6Dit=5").is_none());
        let fault = known.fault(&Method::GET, "/v1/users", "limit=5&limit=6");
        assert_eq!(code(fault), Some(("duplicate_parameter", "limit".into())));
        // Operations the document does not describe are not checked.
        assert!(known.fault(&Method::GET, "/healthz", "anything=1").is_none());
    }

    #[test]
    fn the_message_says_what_the_endpoint_takes() {
        let known = known();
        let fault = known.fault(&Method::GET, "/v1/users", "expand=all").unwrap();
        assert_eq!(fault.message(), "unknown query parameter expand: this endpoint takes limit, starting_after");
        let fault = known.fault(&Method::POST, "/v1/users", "x=1").unwrap();
        assert_eq!(fault.message(), "unknown query parameter x: this endpoint takes no query parameters");
    }
}
