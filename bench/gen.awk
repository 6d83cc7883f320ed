# gen.awk - N varied, valid records for the built-in partnership form, as CSV on standard output.
#
#   LC_ALL=C awk -v n=10000 -v seed=2018 -f bench/gen.awk > records.csv
#
# Deterministic: the random numbers come from our own Park-Miller generator (exact in awk's doubles), not from
# awk's rand(), so mawk, gawk and busybox awk all write the same bytes for the same n and seed. Run it with
# LC_ALL=C so that length() counts bytes in every awk.
#
# What the form asks of each answer (forms/partnership.json), and what we do:
#   partner_name        required text; 10-60 bytes, some with commas, quotes or accents
#   stakeholder_type    required, one of the 15 choices; stakeholder_type_other only (and then always) for 'other'
#   country             required, three capital letters
#   level, thematic_areas  required select_multiple: 1-4 choices; policy_areas, platforms: 0-4 choices
#   free text           optional; empty to several hundred bytes, with commas, quotes, line breaks, UTF-8
#   replicable          yes / partly / no / blank; scale_up_potential 1-5 only when replicable is yes or partly
#   contact_email       matches ^[^@[:space:]]+@[^@[:space:]]+\.[^@[:space:]]+$
#   interview_date      YYYY-MM-DD between 2012 and 2024 (never in the future)
#   location            "lat lon" in decimal degrees
# Text answers never end with a line break (the client strips those), so the export gives back the same bytes.

function rnd() { state = (state * 16807) % 2147483647; return state / 2147483647 }
function ri(k) { return int(rnd() * k) }                      # 0 .. k-1
function pick(arr, k) { return arr[ri(k) + 1] }
function split_list(s, arr) { return split(s, arr, "|") }
# heads[type, i]: the ways a partner of that type is named (POSIX awk has no arrays of arrays).
function set_heads(type, s,    tmp, k, i) {
	k = split(s, tmp, "|")
	for (i = 1; i <= k; i++)
		heads[type, i] = tmp[i]
	nheads[type] = k
}

# RFC 4180: quote a field holding a comma, a quote or a line break, doubling its quotes.
function csv(s) {
	if (s ~ /[",\r\n]/) {
		gsub(/"/, "\"\"", s)
		return "\"" s "\""
	}
	return s
}

# Each choice with probability p, in the form's order; at least min of them.
function multi(choices, k, p, min,    i, out, cnt) {
	out = ""
	cnt = 0
	for (i = 1; i <= k; i++) {
		if (rnd() < p) {
			out = out (cnt ? " " : "") choices[i]
			cnt++
		}
	}
	if (cnt < min)
		out = choices[ri(k) + 1]
	return out
}

# Free text of about target bytes: whole sentences (so UTF-8 is never cut), sometimes on new lines.
function text(target,    s, sep, r) {
	if (target <= 0)
		return ""
	s = pick(sentences, nsent)
	while (length(s) < target) {
		r = rnd()
		sep = r < 0.06 ? "\n" : r < 0.08 ? "\n\n" : r < 0.10 ? "\r\n" : " "
		s = s sep pick(sentences, nsent)
	}
	return s
}

# Length of an optional free-text answer: empty, short, medium or long.
function text_len(p_empty,    r) {
	r = rnd()
	if (r < p_empty)
		return 0
	r = rnd()
	if (r < 0.45)
		return 20 + ri(110)
	if (r < 0.85)
		return 130 + ri(270)
	return 400 + ri(400)
}

function partner_name(type,    name, r, tries) {
	for (tries = 0; tries < 50; tries++) {
		name = heads[type, ri(nheads[type]) + 1]
		r = rnd()
		if (r < 0.45)
			name = name " " pick(linkwords, nlink) " " pick(places, nplaces)
		else if (r < 0.60)
			name = name ", " pick(places, nplaces)
		else if (r < 0.70)
			name = name " \"" pick(nicknames, nnick) "\""
		else if (r < 0.80)
			name = name " (" acronym(name) ")"
		if (length(name) >= 10 && length(name) <= 60)
			return name
	}
	return substr("Partner organisation number " NR_out, 1, 60)
}

function acronym(s,    w, k, i, out) {
	k = split(s, w, " ")
	out = ""
	for (i = 1; i <= k; i++)
		if (w[i] ~ /^[A-Z]/)
			out = out substr(w[i], 1, 1)
	return length(out) >= 2 ? out : "ORG"
}

BEGIN {
	if (n == "")
		n = 10000
	if (seed == "")
		seed = 2018
	state = seed % 2147483646 + 1

	ntypes = split_list("national_government|local_government|ministry|civil_society|private_sector|" \
		"migrant_organization|diaspora_organization|academia|media|international_organization|un_agency|" \
		"employer_recruiter|finance_sector|local_community|other", types)
	set_heads("national_government", "Government of the Republic|National Office for Migration|" \
		"Directorate-General for Consular Affairs|State Secretariat for Emigration|National Migration Institute|" \
		"Office of the President, Migration Unit")
	set_heads("local_government", "City Council|Municipalité|Alcaldía Municipal|County Government|" \
		"Mairie et Conseil départemental|Provincial Authority|Intendencia Regional")
	set_heads("ministry", "Ministry of Labour and Social Protection|Ministère des Affaires étrangères|" \
		"Ministerio de Trabajo|Ministry of Overseas Employment|Ministry of Interior|Ministère de la Santé")
	set_heads("civil_society", "Migrant Rights Network|Asociación Pro Derechos Humanos|" \
		"Réseau des Femmes pour la Paix|Legal Aid Clinic|Caritas Diocesana|Refugee Welcome Centre|" \
		"Comité d'entraide")
	set_heads("private_sector", "Andes Logistics S.A.|Sahel Telecom|Harbour Shipping Ltd|" \
		"Agroexportadora del Pacífico|Global Textiles Group|TechBridge Solutions")
	set_heads("migrant_organization", "Association des Travailleurs Migrants|Migrant Workers' Union|" \
		"Colectivo de Migrantes|Domestic Workers United|Asociación de Jornaleros")
	set_heads("diaspora_organization", "Diaspora Development Network|Diáspora Solidaria|" \
		"Association des Ressortissants|Filipino Community Council|Somali Diaspora Forum")
	set_heads("academia", "University Migration Observatory|Centre d'études sur les migrations|" \
		"Instituto de Investigación Social|School of Public Policy|Institute for Population Studies")
	set_heads("media", "Radio Frontera|Community Radio|Le Journal du Migrant|Televisión Pública|" \
		"Migration Reporters' Collective")
	set_heads("international_organization", "Regional Economic Community Secretariat|" \
		"Organisation internationale de la Francophonie|Intergovernmental Consultation Secretariat|" \
		"International Centre for Migration Policy Development")
	set_heads("un_agency", "UN Country Team|UNDP Country Office|UNICEF Field Office|" \
		"ILO Decent Work Team|UNHCR Sub-Office|UN Women Liaison Office")
	set_heads("employer_recruiter", "Gulf Recruitment Partners|Ethical Recruitment Agency|" \
		"Agence de placement privée|Seasonal Workers Scheme Employers|Hospitality Employers' Association")
	set_heads("finance_sector", "Remittance Services Co-op|Banco de los Migrantes|" \
		"Microfinance Institution|Mobile Money Operators' Association|Caisse d'épargne solidaire")
	set_heads("local_community", "Village Development Committee|Comité de quartier|" \
		"Junta de Vecinos|Fishermen's Cooperative|Women's Self-Help Group")
	set_heads("other", "Trade Union Confederation|Faith-based Relief Service|Sports for Inclusion|" \
		"Cooperativa Agrícola|Artists' Collective")
	nother = split_list("Trade union|Faith-based organization|Sports club, youth league|Cooperativa de ahorro|" \
		"Association villageoise|Artists' collective|Parents' association|Chambre de métiers|" \
		"Informal \"hometown\" association", others)

	nlink = split_list("of|for|de|du|in|at", linkwords)
	nplaces = split_list("Bogotá|São Paulo|Dakar|Nairobi|Kraków|Zürich|Côte d'Ivoire|Médenine|Quetzaltenango|" \
		"Mindanao|Cox's Bazar|Ciudad Juárez|Tegucigalpa|Agadez|Tunis|Kathmandu|Dhaka|Manila|Lima|Quito|Accra|" \
		"Lagos|Addis Ababa|Amman|Beirut|Niamey|Bamako|Guadalajara|Málaga|Île-de-France|Gaziantep|Tijuana|" \
		"the Northern Region|the Border Provinces", places)
	nnick = split_list("Manos Unidas|Puentes|Terre d'accueil|Safe Passage|Nuevo Horizonte|Solidarité", nicknames)
	ncountries = split_list("KEN|SEN|COL|GTM|FRA|ARE|PHL|MEX|NGA|ETH|JOR|LBN|NER|MLI|TUN|MAR|BGD|NPL|IND|PAK|" \
		"ECU|PER|HND|SLV|USA|CAN|ESP|ITA|DEU|GRC|TUR|ZAF|GHA|CIV|SOM|UGA|LKA|IDN|MYS|QAT|SAU|BRA|ARG|CHL", countries)
	nlevels = split_list("local|national|bilateral|regional|interregional|global", levels)
	nthemes = split_list("human_rights|vulnerable_migrants|sustainable_development|shared_responsibility|" \
		"data_collection|migration_governance", themes)
	npolicy = split_list("human_rights|humanitarian|education|health|employment|security|environment|development", \
		policies)
	nplat = split_list("idm|gfmd|rcp|gmg|global_compact|other", platforms)
	nfirst = split_list("José|Aïcha|Grace|Peter|Awa|Camila|Luis|Fatou|Omar|María|Nguyễn Văn|Zoë|Søren|" \
		"François|Chiamaka|Ahmed|Priya|Ana Lucía|Björn|Mariam", firsts)
	split_list("jose|aicha|grace|peter|awa|camila|luis|fatou|omar|maria|nguyen|zoe|soren|francois|chiamaka|" \
		"ahmed|priya|analucia|bjorn|mariam", firsts_ascii)
	nlast = split_list("Martínez|Traoré|Wanjiru|Otieno|Diop|Rojas|Pérez|Ndiaye|Haddad|Santos|An|O'Brien|" \
		"Jørgensen|Lefèvre|Okafor|Benali|Sharma|Gómez|Andersson|Coulibaly", lasts)
	split_list("martinez|traore|wanjiru|otieno|diop|rojas|perez|ndiaye|haddad|santos|an|obrien|jorgensen|" \
		"lefevre|okafor|benali|sharma|gomez|andersson|coulibaly", lasts_ascii)
	ndomains = split_list("labour.example.ke|ddn.example.org|observatorio.example.co|atm.example.fr|" \
		"grp.example.ae|mail.example.net|ngo-net.example.org|gov.example.sn|uni.example.edu|" \
		"correo.example.mx", domains)

	nsent = split_list(\
		"Bilateral labour agreement with a destination country and a joint working group.|" \
		"Pre-departure orientation for 4,000 workers, run with the recruitment agencies.|" \
		"A complaints hotline, staffed in three languages, answers about 200 calls a month.|" \
		"Recruitment fees are still charged by unlicensed agents, despite the \"employer pays\" rule.|" \
		"Health referrals for 1 200 migrants in the first year; most were for maternal care.|" \
		"Short funding cycles make it hard to keep trained staff.|" \
		"Joint monitoring of recruitment agencies with the destination country's labour inspectorate.|" \
		"Un guichet unique pour les migrants, ouvert avec la société civile et la mairie.|" \
		"Les bénévoles s'épuisent ; il faudrait un financement pluriannuel.|" \
		"Formation des agents consulaires à l'accueil des victimes de traite, à Dakar et à Thiès.|" \
		"Remittance costs remain high: about 7% on average, above the SDG target of 3%.|" \
		"Matching grants lower the risk for first investors, and the diaspora fund doubled in two years.|" \
		"Acuerdo de intercambio de datos con la oficina nacional de estadística.|" \
		"Se publica cada trimestre un tablero con llegadas, regularizaciones y solicitudes de asilo.|" \
		"Las normas de protección de datos personales difieren entre los organismos.|" \
		"Programa de radio semanal producido con asociaciones de migrantes, en español y k'iche'.|" \
		"Threats against journalists covering migration have increased since the elections.|" \
		"The \"one-stop desk\" model was copied by two neighbouring counties.|" \
		"Legal clinics are held in the evening, when workers are free.|" \
		"Counselling for 800 workers on contracts, wages and social security.|" \
		"Sub-agents in origin countries are hard to audit; a public list of certified sub-agents helps.|" \
		"Coordination between ministries is slow, and each one keeps its own records.|" \
		"An increasingly divisive public debate on migration makes local partners cautious.|" \
		"Migrants sit on the steering committee, with a vote, not only as guests.|" \
		"Funding: 60% national budget, 25% from the EU, the rest from municipalities and foundations.|" \
		"Tools developed jointly: a referral protocol, a shared case register and a training module.|" \
		"Follow up on the hotline statistics before the next regional consultative process meeting.|" \
		"Wants to present the model at the next IDM session in Geneva.|" \
		"Needs bookkeeping training; the treasurer said: \"we keep the accounts in a school notebook\".|" \
		"Documents collected: MoU (2019), annual report, list of members — all in the shared folder.|" \
		"Les migrants de retour créent des coopératives agricoles dans la région de Kayes.|" \
		"Reunión mensual con las autoridades locales; la próxima será en Quetzaltenango.|" \
		"Interview held in Swahili and English; translation checked by a colleague.|" \
		"Budget: €120,000 per year, of which 40% goes to interpretation and transport.", sentences)
}

BEGIN {
	print "partner_name,stakeholder_type,stakeholder_type_other,country,level,thematic_areas,policy_areas,platforms," \
		"partnership_model,achievements,challenges,good_practices,replicable,scale_up_potential,contact_name," \
		"contact_email,interview_date,location,notes"
	for (NR_out = 1; NR_out <= n; NR_out++) {
		type = pick(types, ntypes)
		other = type == "other" ? pick(others, nother) : ""
		r = rnd()
		replicable = r < 0.3 ? "yes" : r < 0.6 ? "partly" : r < 0.8 ? "no" : ""
		scale = (replicable == "yes" || replicable == "partly") && rnd() < 0.8 ? 1 + ri(5) : ""
		contact = ""
		email = ""
		if (rnd() < 0.9) {
			f = ri(nfirst) + 1
			l = ri(nlast) + 1
			contact = firsts[f] " " lasts[l]
			if (rnd() < 0.85)
				email = firsts_ascii[f] "." lasts_ascii[l] (ri(3) ? "" : ri(100)) "@" pick(domains, ndomains)
		}
		location = rnd() < 0.85 ? sprintf("%.4f %.4f", -55 + rnd() * 125, -180 + rnd() * 360) : ""
		date = sprintf("%04d-%02d-%02d", 2012 + ri(13), 1 + ri(12), 1 + ri(28))
		print csv(partner_name(type)) "," type "," csv(other) "," pick(countries, ncountries) "," \
			multi(levels, nlevels, 0.3, 1) "," multi(themes, nthemes, 0.3, 1) "," \
			multi(policies, npolicy, 0.25, 0) "," multi(platforms, nplat, 0.2, 0) "," \
			csv(text(text_len(0.15))) "," csv(text(text_len(0.2))) "," csv(text(text_len(0.25))) "," \
			csv(text(text_len(0.3))) "," replicable "," scale "," csv(contact) "," email "," date "," \
			location "," csv(text(text_len(0.5)))
	}
}
