/*
 * core/reason.c - names for the drop reasons of pinhole/reason.h.
 */
#include <pinhole/reason.h>

static const char *const reason_names[PH_R_MAX] = {
#define PH_REASON_NAME(id, name, text) [PH_R_##id] = name,
	PH_REASONS(PH_REASON_NAME)
#undef PH_REASON_NAME
};

static const char *const reason_texts[PH_R_MAX] = {
#define PH_REASON_TEXT(id, name, text) [PH_R_##id] = text,
	PH_REASONS(PH_REASON_TEXT)
#undef PH_REASON_TEXT
};

const char *
ph_reason_name(unsigned r)
{
	return r < PH_R_MAX ? reason_names[r] : "?";
}

const char *
ph_reason_text(unsigned r)
{
	return r < PH_R_MAX ? reason_texts[r] : "?";
}
