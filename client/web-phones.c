/* web-phones.c - the field hub as the team lead sees it: GET /api/phones (the code, the addresses to join at, the
 * phones that joined) and POST /api/phones/end {"sid"} (ends a phone's session: its next request is refused, and
 * what it saved stays).
 *
 *   {"share": true|false, "code": "1234-5678" ("" once spent), "urls": ["http://192.168.1.23:PORT/"],
 *    "phones": [{"sid", "name", "joined", "last" (ms), "records": how many it made}]} */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "util.h"
#include "web.h"
#include "banned.h"

json_t *web_lan_urls(struct web *w)
{
	struct ifaddrs *all, *a;
	json_t *urls = json_array();
	char ip[INET_ADDRSTRLEN], url[96];

	if (getifaddrs(&all) < 0)
		return urls;
	for (a = all; a; a = a->ifa_next) {
		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET || !(a->ifa_flags & IFF_UP) ||
		    (a->ifa_flags & IFF_LOOPBACK))
			continue;
		if (!inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)a->ifa_addr)->sin_addr, ip, sizeof(ip)))
			continue;
		snprintf(url, sizeof(url), "http://%s:%s/", ip, w->port);
		json_array_append_new(urls, json_string(url));
	}
	freeifaddrs(all);
	return urls;
}

void web_phones(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	json_t *phones = json_array();
	size_t i;

	for (i = 0; i < WEB_MAX_SESSIONS; i++) {
		const struct web_session *ss = &w->sessions[i];

		if (ss->id[0] && ss->role == WEB_PHONE)
			json_array_append_new(phones, json_pack("{s:s, s:s, s:I, s:I, s:I}", "sid", ss->sid, "name", ss->name,
								"joined", (json_int_t)ss->joined_ms, "last",
								(json_int_t)ss->last_ms, "records",
								(json_int_t)json_array_size(ss->records)));
	}
	web_reply(rs, 200, json_pack("{s:b, s:s, s:o, s:o}", "share", w->share, "code", w->code, "urls",
				     w->share ? web_lan_urls(w) : json_array(), "phones", phones));
}

void web_phone_end(struct http_request *rq, struct http_response *rs)
{
	struct web *w = rq->app;
	json_t *body = web_body(rq, rs);
	const char *sid = body ? json_string_value(json_object_get(body, "sid")) : NULL;
	size_t i;

	if (!body)
		return;
	for (i = 0; sid && i < WEB_MAX_SESSIONS; i++)
		if (w->sessions[i].id[0] && w->sessions[i].role == WEB_PHONE && !strcmp(w->sessions[i].sid, sid))
			break;
	if (!sid || i == WEB_MAX_SESSIONS)
		http_reply_error(rs, 404, "no_phone", _("no phone with that session"));
	else {
		web_session_end(&w->sessions[i]);
		web_reply(rs, 200, json_pack("{s:b}", "ended", 1));
	}
	json_decref(body);
}
