"""Request and response bodies of the public API (documented in OpenAPI), one module per area:
`errors` (the error body), `strict` (the base of request bodies), `conversations`, `escalations`, `analytics`,
`knowledge` and `admin` (staff accounts, integration tokens, the audit log). Import a model from its
area's module; routes and console pages hold no models of their own.

Naming (the class name is the OpenAPI component name; the JSON bodies do not depend on it):

- a response body, and every model nested in one, is `<Thing>Out` (`ConversationOut`, `ErrorOut`);
- a request body that creates or replaces a resource is `<Resource>Create` / `<Resource>Update`;
  any other request body, and every model nested in one, is `<Thing>In` (`MessageIn`, `ResolveIn`).

A model's `of(...)` class method builds it from the domain's view of the thing.
"""
