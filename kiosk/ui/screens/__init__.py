"""One screen per flow step. A screen renders the FlowState and emits events; nothing more."""
