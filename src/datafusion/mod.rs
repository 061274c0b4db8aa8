//! DataFusion integration: window functions `cumsum`, `cumprod`, `nancumsum`, `nancumprod`, `cummax` and `cummin`.
