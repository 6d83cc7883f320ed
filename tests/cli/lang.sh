#!/bin/sh
# lang.sh - sondeo speaks the language asked for: every prompt, hint of the keys, error, heading and help text
# in French or Spanish (--lang before or after the command, else LANGUAGE, LC_ALL, LC_MESSAGES, LANG), counts in
# each language's plural forms, moments as people read them, tables that stay aligned with accented words; a
# language Sondeo does not speak is refused; a form without texts in the language is shown in its own, said once,
# while the messages stay in the language asked for.
#
# The words checked are those of po/fr.po and po/es.po. The pseudo-language qps (test builds) wraps every
# message in ⟦ ⟧: a line without them is text that no catalog translates.
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

unset LANGUAGE LC_ALL LC_MESSAGES XDG_DATA_HOME
LANG=C.UTF-8
SONDEO_TODAY=2024-05-06
export LANG SONDEO_TODAY
py_start

# through FIRST LAST : ptyrun lines that press Enter at questions FIRST..LAST of the built-in form.
through() {
	_k=$1
	while [ "$_k" -le "$2" ]; do
		printf 'expect [%s/19]\nsend\n' "$_k"
		_k=$((_k + 1))
	done
}

# count_in TEXT NEEDLE : how many lines of TEXT hold NEEDLE.
count_in() {
	printf '%s\n' "$1" | grep -cF -- "$2"
}

# column TEXT LINE NEEDLE : the column (in characters, from 0) where NEEDLE starts on line LINE (from 1) of TEXT.
column() {
	py -c 'import sys; l = sys.argv[1].split("\n")[int(sys.argv[2]) - 1]; print(l.find(sys.argv[3]))' "$1" "$2" "$3"
}

# today_or_yesterday TEXT : TEXT names a moment of today (or, past midnight, of yesterday) in French.
today_or_yesterday() {
	case $1 in
	*"aujourd’hui "[0-2][0-9]:[0-5][0-9]* | *"hier "[0-2][0-9]:[0-5][0-9]*) ;;
	*) fail "no moment of today (aujourd’hui HH:MM) or yesterday (hier HH:MM) in: $1" ;;
	esac
}

# French guillemets hold their words with no-break spaces.
nb=$(printf '\302\240')

new_store
at_exit "rm -rf '$SONDEO_HOME'"
"$SONDEO" init --name lang-test >/dev/null || fail "init failed"
DB=$SONDEO_HOME/store.db
forms=$(mktemp -d "$_t_dir/forms.XXXXXX")

# ---------------------------------------------------------------------------------------------------------------

t "new in French at a terminal: the prompts, the hints of the keys, a refused answer, the confirmation"
pty "$SONDEO" --lang fr new <<EOF
expect Nouvelle fiche : Partenariats inclusifs et novateurs en matière de migration (partnership version 2)
expect Chaque réponse est enregistrée aussitôt. Entrée passe ou garde, - recule, ? aide, Ctrl-D arrête.
expect [1/19] Nom de l'organisation partenaire *
send ?
expect Type : text, obligatoire
expect Entrée garder la réponse affichée entre [ ], ou passer une question facultative
expect -      revenir à la question précédente
expect Ctrl-D s’arrêter ici et garder la fiche comme brouillon
send !
expect Une réponse est obligatoire ici : elle ne peut pas être effacée.
send
expect Une réponse est obligatoire ici (? pour l’aide).
send Mairie de Dakar
expect [2/19] De quel type d'acteur s'agit-il ? *
send -
expect [1/19]
send
expect [2/19]
send 2
expect [4/19] Pays *
send SEN
expect [5/19]
expect (un ou plusieurs : numéros ou noms, séparés par des espaces)
send 2
expect [6/19]
send vulnerable_migrants
$(through 7 16)
expect [17/19]
expect (une date : YYYY-MM-DD)
expect [2024-05-06]  Entrée la prend
send
expect [18/19]
expect (latitude et longitude en degrés décimaux : "-1.2921 36.8219")
send
expect [19/19]
send
expect Récapitulatif de
expect  1. Nom de l'organisation partenaire: Mairie de Dakar
expect [f]inaliser (Entrée), [b]rouillon pour plus tard, ou le numéro d’une question à modifier :
send
expect finalisée
exit 0
EOF
check_rc 0
id=$(sqlite3 "$DB" "SELECT id FROM records ORDER BY rid DESC LIMIT 1")
check_out_has "Fiche $id finalisée"
check_out_lacks "Each answer is saved"
check_out_lacks "An answer is required"
check_out_lacks "Finalized record"
check_eq "$(sqlite3 "$DB" "SELECT draft FROM records WHERE id = '$id'")" 0 "draft (0: final)"

t "edit in French at a terminal: the answer kept, and what Ctrl-D kept"
pty "$SONDEO" edit "$id" --lang fr <<EOF
expect Modification : Partenariats inclusifs et novateurs en matière de migration (partnership version 2)  id $id
expect [1/19] Nom de l'organisation partenaire *
expect [actuelle : Mairie de Dakar]  Entrée la garde
send
expect [2/19]
expect [actuelle : Autorités locales (local_government)]  Entrée la garde
sendraw \x04
expect Arrêt. Les modifications faites sont enregistrées.
exit 0
EOF
check_rc 0
check_out_lacks "Stopped"

t "show in French: headings lined up, moments as people read them, the history"
run "$SONDEO" --lang fr show "$id" --history
check_rc 0
check_out_has "Fiche $id"
check_out_has "Formulaire :   Partenariats inclusifs et novateurs en matière de migration (partnership version 2)"
check_out_has "État :         finalisée"
check_out_has "Créée :        "
check_out_has "   Modifiée : "
today_or_yesterday "$(printf '%s\n' "$OUT" | grep '^Créée')"
check_out_has "Historique :"
check_out_has "appareil "
check_out_has "(aucune) -> Mairie de Dakar"
check_out_lacks "History"

t "list in French: the headings and the accented words keep the columns aligned"
pty "$SONDEO" --lang fr list
check_rc 0
check_out_has "MODIFIÉE"
check_out_has "1 fiche"
today_or_yesterday "$OUT"
header=$(printf '%s\n' "$OUT" | grep -m 1 '^ID ')
row=$(printf '%s\n' "$OUT" | grep -m 1 "^$(printf '%s' "$id" | cut -c1-8) ")
check_eq "$(column "$header$_t_nl$row" 2 finalisée)" "$(column "$header$_t_nl$row" 1 ÉTAT)" \
	"the column of the state (finalisée under ÉTAT, in characters)"
check_eq "$(column "$header$_t_nl$row" 1 SIGNALEMENTS)" "$(($(column "$header$_t_nl$row" 2 finalisée) + 10))" \
	"the column of the flags (after the widest state, finalisée, and a space)"

t "status in Spanish from LANG=es_ES.UTF-8: its headings lined up"
run env LANG=es_ES.UTF-8 "$SONDEO" status
check_rc 0
check_out_has "dispositivo:      "
check_out_has "almacén:          $SONDEO_HOME"
check_out_has "registros:        finalizados: 1, borradores: 0, eliminados: 0"
check_out_has "sin sincronizar:  "
check_out_lacks "not synced"

t "LANGUAGE=de:fr: the first language of the list that Sondeo speaks, over LANG"
run env LANGUAGE=de:fr LANG=es_ES.UTF-8 "$SONDEO" status
check_rc 0
check_out_has "à synchroniser :  "
check_out_has "fiches :          finalisées : 1, brouillons : 0, supprimées : 0"

t "--lang after the command, and over the environment"
run env LANG=es_ES.UTF-8 "$SONDEO" status --lang fr
check_rc 0
check_out_has "appareil :        "
run "$SONDEO" show --lang=es
check_rc 2
check_err_has "sondeo show: ¿qué registro? indique su identificador"
check_err_has "uso: sondeo show ID [--history] [--json]"

t "--lang de is refused, naming the languages Sondeo speaks"
run "$SONDEO" --lang de list
check_rc 2
check_err_has "unknown language 'de': Sondeo speaks en, es, fr"
check_eq "$OUT" "" "stdout"
run "$SONDEO" list --lang de
check_rc 2
check_err_has "Sondeo speaks en, es, fr"

t "a form without French: said once, its labels in its own language, the messages in French"
cat >"$forms/visits.json" <<'JSON'
{"id": "visits", "version": "1", "questions": [
 {"name": "site", "type": "text", "label": "Site name", "required": true},
 {"name": "staff", "type": "integer", "label": "Staff on site"}]}
JSON
run "$SONDEO" form import "$forms/visits.json"
check_rc 0
run "$SONDEO" new visits --set site=Kisumu
check_rc 0
vid=$OUT
run "$SONDEO" --lang fr show "$vid"
check_rc 0
check_out_has "Fiche $vid"
check_out_has "  Site name                                Kisumu"
check_err_has "sondeo: le formulaire «${nb}visits${nb}» n’est pas rédigé en «${nb}fr${nb}» : ses textes"
check_err_has "affichés en «${nb}en${nb}», sa langue par défaut"
check_eq "$(count_in "$ERR" "visits")" 1 "notes on stderr"
pty "$SONDEO" --lang fr new visits <<'EOF'
expect Nouvelle fiche : visits (visits version 1)
expect [1/2] Site name *
send
expect Une réponse est obligatoire ici (? pour l’aide).
sendraw \x04
expect Arrêt : rien n’a été enregistré.
exit 0
EOF
check_rc 0
check_eq "$(count_in "$OUT" "n’est pas rédigé en «${nb}fr${nb}»")" 1 "notes at the terminal"
run "$SONDEO" --lang fr new visits --set staff=3
check_rc 1
check_eq "$(count_in "$ERR" "n’est pas rédigé en «${nb}fr${nb}»")" 1 "notes with the problems"
check_err_has "sondeo: 1 problème trouvé : rien n’a été enregistré"
run "$SONDEO" --lang fr list --form visits
check_rc 0
check_eq "$ERR" "" "stderr of list, which shows no label"

t "decimals as each language writes them: typed with a comma in French, shown with one, kept with a point"
cat >"$forms/weights.json" <<'JSON'
{"id": "weights", "version": "1", "questions": [
 {"name": "site", "type": "text", "label": {"en": "Site", "fr": "Site", "es": "Sitio"}},
 {"name": "budget", "type": "decimal", "label": {"en": "Budget", "fr": "Budget", "es": "Presupuesto"}}]}
JSON
run "$SONDEO" form import "$forms/weights.json"
check_rc 0
run "$SONDEO" --lang fr new weights --set site=Kisumu --set budget=12345,5
check_rc 0
wid=$OUT
run "$SONDEO" show "$wid" --json
check_out_has '"budget": 12345.5'
run "$SONDEO" --lang fr show "$wid"
check_out_has "Budget"
check_out_has "12$(printf '\342\200\257')345,5"   # a narrow no-break space between the thousands
run "$SONDEO" --lang es show "$wid"
check_out_has "12.345,5"
run "$SONDEO" show "$wid"
check_out_has "12,345.5"
run "$SONDEO" new weights --set budget=3,5
check_rc 1
check_err_has "'3,5' is not a number (write decimals with a point, as in 3.5)"
run "$SONDEO" --lang es new weights --set budget=1,2,3
check_rc 1
check_err_has "1,2,3"

t "plurals: French takes the singular for 0 and 1, Spanish the plural for 0"
run "$SONDEO" --lang fr export --form visits --format csv -o "$forms/v.csv"
check_rc 0
check_err_has "1 fiche exportée vers $forms/v.csv"
run env LANG=es_ES.UTF-8 "$SONDEO" export --form visits --format csv -o "$forms/v.csv"
check_err_has "1 registro exportado a $forms/v.csv"
run "$SONDEO" new visits --set site=Nakuru
check_rc 0
run "$SONDEO" export --form visits --format csv -o "$forms/v.csv" --lang fr
check_err_has "2 fiches exportées vers $forms/v.csv"
run "$SONDEO" --lang fr list --deleted --form visits --search nowhere
check_eq "$OUT" "0 fiche" "an empty list in French"
run "$SONDEO" --lang es list --form visits --search nowhere
check_eq "$OUT" "0 registros" "an empty list in Spanish"
run "$SONDEO" --lang es list --form visits --search Nakuru --json
check_rc 0
check_out_has '"updated": "'
check_out_lacks "hoy"

t "sondeo help and a command's --help in French"
run "$SONDEO" --lang fr help
check_rc 0
check_out_has "utilisation : sondeo [--store DIR] [--lang LANG] COMMAND [ARGS]"
check_out_has "commandes :"
check_out_has "  list     lister les fiches"
check_out_has "Les messages et les libellés suivent --lang"
check_eq "$(printf '%s\n' "$OUT" | grep -c '^  [a-z]')" 14 "commands listed"
run "$SONDEO" list --help --lang fr
check_rc 0
usage="list [--form F] [--where NAME=VALUE]... [--search TEXT] [--drafts] [--deleted] [--conflicts] [--json]"
check_eq "$(printf '%s\n' "$OUT" | head -n 1)" "utilisation : sondeo $usage" "the usage line"
check_out_has "Liste les fiches finalisées, les plus récentes d’abord"
check_out_has "  --conflicts        seulement les fiches dont un champ est en conflit"
check_out_has "exemple : sondeo list --form partnership"
check_out_has "Options générales, avant ou après la commande"
run env LANG=es_ES.UTF-8 "$SONDEO" help new
check_rc 0
check_out_has "Rellena un registro nuevo del formulario FORM"
check_out_has "ejemplo: sondeo new"

t "the pseudo-language: every word sondeo says is a message of the catalogs"
run "$SONDEO" --lang qps status
if [ "$RC" = 2 ]; then
	skip "not a test build: no pseudo-language"
else
	check_rc 0
	check_eq "$(printf '%s\n' "$OUT" | grep -vc '⟦')" 0 "lines of status with no message"
	run "$SONDEO" new visits --set site=Eldoret
	check_rc 0
	run "$SONDEO" --lang qps show "$OUT" --history
	check_rc 0
	# Above the answers (the form's texts, data), every line is made of messages and the record's data.
	check_eq "$(printf '%s\n' "$OUT" | sed -n '1,4p' | grep -vc '⟦')" 0 "heading lines with no message"
	check_eq "$(printf '%s\n' "$OUT" | sed -n '/Hístórý/,$p' | grep -vc '⟦')" 0 "history lines with no message"
	run "$SONDEO" --lang qps list
	check_eq "$(printf '%s\n' "$OUT" | grep -vc '⟦')" 0 "lines of list with no message"
	run "$SONDEO" --lang qps frob
	check_err_has "⟦"
	run "$SONDEO" --lang qps edit
	check_eq "$(printf '%s\n' "$ERR" | grep -vc '⟦')" 0 "lines of a usage error with no message"
fi

done_testing
