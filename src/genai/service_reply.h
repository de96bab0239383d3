// What a service's reply means for a statement: the MySQL error for a
// failed transfer, an HTTP error status or an answer that does not parse.
#pragma once

#include <optional>

#include "core/error.h"
#include "genai/endpoint.h"
#include "genai/http_loop.h"

namespace gp::genai {

// The reply's failure, if it is one: transport (unreachable, timeout, too
// large), HTTP status >= 400 with the service's own message, or an aborted
// call (`cancelled`: the client went away; otherwise the engine stopped).
std::optional<Error> reply_error(const ServiceEndpoint& ep, const HttpReply& reply, bool cancelled);

// An invalid answer, named after the service.
Error answer_error(const ServiceEndpoint& ep, Error e);

}  // namespace gp::genai
