/* xlsxlib.h - libzip (reading workbooks, common/xlsx.c) and libxlsxwriter (writing them: common/export.c,
 * common/xlsform-write.c), loaded when a command first reads or writes a workbook rather than at every start.
 * With what they bring (OpenSSL's libcrypto, minizip, bzip2), they took about 4 ms of every command's start,
 * and most commands never touch a workbook.
 *
 * The code that uses them calls the libraries' functions by their own names: below, each name stands for the
 * function loaded, through a table filled by xlsxlib_load_zip or xlsxlib_load_lxw. A caller loads the library
 * before its first call (the loads are cheap once done, and safe from any thread); a call before the load is a
 * bug, which the first test of that path shows. */
#ifndef SONDEO_XLSXLIB_H
#define SONDEO_XLSXLIB_H

#include <stddef.h>

#include <xlsxwriter.h>
#include <zip.h>

/* X(name) for each function of each library this program calls. */
#define XLSXLIB_ZIP_FUNCS(X) \
	X(zip_discard) X(zip_error_fini) X(zip_error_init) X(zip_error_strerror) X(zip_fclose) X(zip_file_strerror) \
	X(zip_fopen_index) X(zip_fread) X(zip_get_num_entries) X(zip_name_locate) X(zip_open_from_source) X(zip_source_buffer_create) \
	X(zip_source_free) X(zip_strerror)
#define XLSXLIB_LXW_FUNCS(X) \
	X(format_set_bold) X(format_set_num_format) X(lxw_strerror) X(lxw_workbook_free) X(workbook_add_format) \
	X(workbook_add_worksheet) X(workbook_close) X(workbook_new_opt) X(worksheet_autofilter) \
	X(worksheet_freeze_panes) X(worksheet_set_column) X(worksheet_write_datetime) X(worksheet_write_number) \
	X(worksheet_write_string) X(worksheet_write_unixtime) X(worksheet_write_url_opt)

#define XLSXLIB_MEMBER(name) __typeof__(&name) name;
struct xlsxlib_zip { XLSXLIB_ZIP_FUNCS(XLSXLIB_MEMBER) };
struct xlsxlib_lxw { XLSXLIB_LXW_FUNCS(XLSXLIB_MEMBER) };
#undef XLSXLIB_MEMBER

/* The functions loaded; read only after a load that returned 0. */
extern struct xlsxlib_zip xlsxlib_zip;
extern struct xlsxlib_lxw xlsxlib_lxw;

/* Load libzip.so.4 or libxlsxwriter.so.4 once per process (later calls wait for the first, then return its
 * outcome): 0, or -1 with err naming the library and the Debian package that has it. */
int xlsxlib_load_zip(char *err, size_t errlen);
int xlsxlib_load_lxw(char *err, size_t errlen);

#ifndef XLSXLIB_LOADER
/* The same names again (a macro cannot define macros). A macro naming itself is not expanded again inside its own expansion: each stands for the table's member. */
#define zip_discard (xlsxlib_zip.zip_discard)
#define zip_error_fini (xlsxlib_zip.zip_error_fini)
#define zip_error_init (xlsxlib_zip.zip_error_init)
#define zip_error_strerror (xlsxlib_zip.zip_error_strerror)
#define zip_fclose (xlsxlib_zip.zip_fclose)
#define zip_file_strerror (xlsxlib_zip.zip_file_strerror)
#define zip_fopen_index (xlsxlib_zip.zip_fopen_index)
#define zip_fread (xlsxlib_zip.zip_fread)
#define zip_get_num_entries (xlsxlib_zip.zip_get_num_entries)
#define zip_name_locate (xlsxlib_zip.zip_name_locate)
#define zip_open_from_source (xlsxlib_zip.zip_open_from_source)
#define zip_source_buffer_create (xlsxlib_zip.zip_source_buffer_create)
#define zip_source_free (xlsxlib_zip.zip_source_free)
#define zip_strerror (xlsxlib_zip.zip_strerror)
#define format_set_bold (xlsxlib_lxw.format_set_bold)
#define format_set_num_format (xlsxlib_lxw.format_set_num_format)
#define lxw_strerror (xlsxlib_lxw.lxw_strerror)
#define lxw_workbook_free (xlsxlib_lxw.lxw_workbook_free)
#define workbook_add_format (xlsxlib_lxw.workbook_add_format)
#define workbook_add_worksheet (xlsxlib_lxw.workbook_add_worksheet)
#define workbook_close (xlsxlib_lxw.workbook_close)
#define workbook_new_opt (xlsxlib_lxw.workbook_new_opt)
#define worksheet_autofilter (xlsxlib_lxw.worksheet_autofilter)
#define worksheet_freeze_panes (xlsxlib_lxw.worksheet_freeze_panes)
#define worksheet_set_column (xlsxlib_lxw.worksheet_set_column)
#define worksheet_write_datetime (xlsxlib_lxw.worksheet_write_datetime)
#define worksheet_write_number (xlsxlib_lxw.worksheet_write_number)
#define worksheet_write_string (xlsxlib_lxw.worksheet_write_string)
#define worksheet_write_unixtime (xlsxlib_lxw.worksheet_write_unixtime)
#define worksheet_write_url_opt (xlsxlib_lxw.worksheet_write_url_opt)
#endif

#endif
