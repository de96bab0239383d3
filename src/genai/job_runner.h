// What an engine thread does with a job: run it (lexical in place, or HTTP
// transfers), collect the answers of its transfers, build the result.
#pragma once

#include <curl/curl.h>

#include <memory>

#include "core/error.h"
#include "genai/http_worker.h"
#include "genai/job.h"

namespace gp::genai {

Error unavailable_error();
Error cancelled_error();

// Engine thread only.
void run_job(HttpWorker& worker, const std::shared_ptr<Job>& job);
void cancel_job(HttpWorker& worker, const std::shared_ptr<Job>& job);
void transfer_done(HttpWorker& worker, Transfer& transfer, CURLcode code, long http_status,
                   long elapsed_ms);
// Aborts the job's remaining transfers, forgets it and completes it.
void finish_job(HttpWorker& worker, Job& job, Result<mysql::ResultSet> result);

}  // namespace gp::genai
