"""HTTP plumbing shared by both dialects: request dependencies, the token reader, error
handlers and middleware. It knows no domain: authentication is the auth package's edge."""
