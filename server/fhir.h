/* The FHIR R4 facade (/fhir/v2/... and /fhir/... alike): the subset of
 * ANS's "API Annuaire Santé en libre accès" v2 that practice software
 * uses (docs/fhir.md), answered from the same database and the same
 * search engine as /v1: Practitioner, PractitionerRole and Organization,
 * their reads and searches, and the CapabilityStatement. Its answers are
 * application/fhir+json, its errors OperationOutcomes. */
#ifndef FHIR_H
#define FHIR_H
#include "api.h"

/* GET /fhir/...: rest is the path past "/fhir/"; a POST's form body
 * arrives as parameters (http.c). */
api_handler api_fhir;

/* 1 if url is under the facade (/fhir or /fhir/...). */
int fhir_url(const char *url);
/* Sets out to the OperationOutcome of an error the HTTP layer answers
 * itself under the facade (405, 413, 414, 431, too many parameters...):
 * status, msg as its diagnostics, FHIR's media type. */
void fhir_http_error(struct api_resp *out, int status, const char *msg);

/* The command line's settings (main.c), set before serving. */
struct fhir_config {
    /* The URL clients reach this server at (scheme://host[:port][/path],
     * no trailing slash), the start of every link a Bundle gives
     * (fullUrl, self, next); NULL: http:// and the request's Host. */
    const char *public_url;
};
extern struct fhir_config fhir_config;

#endif
