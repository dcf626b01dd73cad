//! Path parameters, read as axum reads them, but refused in the API's own words: a path
//! segment that is not valid percent-encoded UTF-8 answers 400 `invalid_path`, never the
//! framework's text.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::ApiError;

/// A handler's path parameters (the `{id}` of its route).
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(_) => Err(ApiError::bad_request("invalid_path", "the path holds characters that are not valid text")),
        }
    }
}
