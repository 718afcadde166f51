"""Forms of 菜单式普法 and the 责任清单: the public order form, evaluation, and the staff forms.

Every message is Chinese and names its field; web forms post strings, so the loaders accept them.
"""
from __future__ import annotations

import re

from marshmallow import EXCLUDE, ValidationError, pre_load, validate, validates_schema

from app.models.outreach import AUDIENCES, DUTY_CATEGORIES, DUTY_STATUSES, FORMS
from schemas.fields import ChineseSchema, Date, Int, List, Str, in_range, length, one_of

MAX_REMARKS = 2000
# Mainland mobile (13812345678, +86 138 1234 5678) or a landline with area code (0571-87654321-123).
PHONE = re.compile(r"(?:\+?86)?1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?")
MAX_AUDIENCE = 100_000


def valid_phone(value: str) -> None:
    """Mainland mobile or landline (spaces and brackets ignored), else a Chinese error."""
    if not PHONE.fullmatch(re.sub(r"[\s()（）]", "", value)):
        raise ValidationError("请填写有效的手机号码或带区号的固定电话，如 13812345678 或 0571-87654321。")


def _blank_to_missing(data: dict) -> dict:
    """Form posts send "" for an untouched field: treat it as absent so `required` says so."""
    return {key: value for key, value in data.items() if value not in ("", None, [])}


class OrderFormSchema(ChineseSchema):
    """The public 点单 form."""

    class Meta:
        unknown = EXCLUDE  # the form also posts csrf_token, the challenge and the honeypot

    unit = Str(required=True, validate=length(200, 2), metadata={"label": "点单单位"})
    contact_name = Str(required=True, validate=length(50, 1), metadata={"label": "联系人"})
    contact_phone = Str(required=True, validate=[length(30, 5), valid_phone], metadata={"label": "联系电话"})
    district = Str(required=True, validate=length(50, 1), metadata={"label": "区县"})
    town = Str(required=True, validate=length(50, 1), metadata={"label": "镇街"})
    community = Str(load_default="", validate=length(100), metadata={"label": "村社区"})
    audience_type = Str(required=True, validate=one_of(list(AUDIENCES), "受众类型"))
    audience_size = Int(required=True, strict=False, validate=in_range(1, MAX_AUDIENCE))
    window_start = Date(required=True)
    window_end = Date(required=True)
    menu_item_id = Int(load_default=None, strict=False, allow_none=True)
    topic = Str(load_default="", validate=length(200))
    hot_issue = Str(load_default="", validate=length(60))
    remarks = Str(load_default="", validate=length(MAX_REMARKS))

    @pre_load
    def _blanks(self, data, **kwargs):
        return _blank_to_missing(dict(data))

    @validates_schema(skip_on_field_errors=False)
    def _rules(self, data, **kwargs):
        """A sane time window, and a menu item or a topic (checked even when other fields failed)."""
        start, end = data.get("window_start"), data.get("window_end")
        if start and end and end < start:
            raise ValidationError("结束日期不能早于开始日期。", "window_end")
        if start and end and (end - start).days > 366:
            raise ValidationError("时间范围不能超过一年。", "window_end")
        if not data.get("menu_item_id") and not data.get("topic"):
            raise ValidationError("请从菜单中选择课题，或填写希望讲解的内容。", "topic")


def remarks_too_long(raw: dict) -> ValidationError | None:
    """A clearer message than the length validator's for very long remarks (it states the count)."""
    text = str(raw.get("remarks") or "")
    if len(text.strip()) > MAX_REMARKS:
        message = f"备注不能超过 {MAX_REMARKS} 字（现为 {len(text.strip())} 字），请精简后再提交。"
        return ValidationError({"remarks": [message]})
    return None


class EvaluationSchema(ChineseSchema):
    """The orderer's 评单."""

    class Meta:
        unknown = EXCLUDE

    content = Int(required=True, strict=False, validate=in_range(1, 5))
    delivery = Int(required=True, strict=False, validate=in_range(1, 5))
    usefulness = Int(required=True, strict=False, validate=in_range(1, 5))
    comment = Str(load_default="", validate=length(1000))

    @pre_load
    def _blanks(self, data, **kwargs):
        return _blank_to_missing(dict(data))


class MenuItemSchema(ChineseSchema):
    """A menu item as its organisation or the 普法办 edits it."""

    class Meta:
        unknown = EXCLUDE

    title = Str(required=True, validate=length(200, 2))
    summary = Str(load_default="", validate=length(3000))
    organisation_id = Int(load_default=None, strict=False, allow_none=True)
    hot_issue = Str(load_default="", validate=length(60))
    law_topic = Str(load_default="", validate=length(60))
    audiences = List(Str(validate=one_of(list(AUDIENCES), "适合人群")), required=True, validate=length(10, 1))
    forms = List(Str(validate=one_of(list(FORMS), "形式")), required=True, validate=length(10, 1))
    duration_minutes = Int(required=True, strict=False, validate=in_range(10, 600))
    area = Str(load_default="", validate=length(200))
    lecturer_ids = List(Int(strict=False), load_default=list, validate=length(50))
    lecturer_names = Str(load_default="", validate=length(500))
    case_ids = List(Int(strict=False), load_default=list, validate=length(50))
    collection_id = Int(load_default=None, strict=False, allow_none=True)  # a published 专题

    @pre_load
    def _blanks(self, data, **kwargs):
        return _blank_to_missing(dict(data))


class ScheduleSchema(ChineseSchema):
    """排期: when and where, and which lecturers."""

    class Meta:
        unknown = EXCLUDE

    date = Date(required=True)
    time = Str(required=True, validate=validate.Regexp(r"([01]\d|2[0-3]):[0-5]\d$",
                                                       error="时间格式应为 时:分，如 09:30。"))
    place = Str(required=True, validate=length(200, 2))
    lecturer_ids = List(Int(strict=False), load_default=list, validate=length(20))

    @pre_load
    def _blanks(self, data, **kwargs):
        return _blank_to_missing(dict(data))


class DeliverySchema(ChineseSchema):
    """送单: the record of a talk held."""

    class Meta:
        unknown = EXCLUDE

    title = Str(required=True, validate=length(200, 2))
    held_on = Date(required=True)
    place = Str(required=True, validate=length(200, 2))
    attendance = Int(required=True, strict=False, validate=in_range(1, MAX_AUDIENCE))
    audience_type = Str(required=True, validate=one_of(list(AUDIENCES), "受众类型"))
    form = Str(required=True, validate=one_of(list(FORMS), "形式"))
    lecturer_ids = List(Int(strict=False), load_default=list, validate=length(20))
    lecturer_names = Str(load_default="", validate=length(500))
    case_ids = List(Int(strict=False), load_default=list, validate=length(50))
    collection_id = Int(load_default=None, strict=False, allow_none=True)  # the 备课篮 / 专题 used
    summary = Str(required=True, validate=length(2000, 10))

    @pre_load
    def _blanks(self, data, **kwargs):
        return _blank_to_missing(dict(data))


class DutyItemSchema(ChineseSchema):
    """A 普法责任清单 item."""

    class Meta:
        unknown = EXCLUDE

    organisation_id = Int(load_default=None, strict=False, allow_none=True)
    year = Int(required=True, strict=False, validate=in_range(2000, 2100))
    category = Str(required=True, validate=one_of(list(DUTY_CATEGORIES), "考核维度"))
    title = Str(required=True, validate=length(200, 2))
    description = Str(load_default="", validate=length(3000))
    owner = Str(required=True, validate=length(100, 1))
    due_date = Date(required=True)
    status = Str(load_default="not_started", validate=one_of(list(DUTY_STATUSES), "状态"))
    case_ids = List(Int(strict=False), load_default=list, validate=length(100))
    delivery_ids = List(Int(strict=False), load_default=list, validate=length(100))
    collection_ids = List(Int(strict=False), load_default=list, validate=length(100))

    @pre_load
    def _blanks(self, data, **kwargs):
        return _blank_to_missing(dict(data))


class KeyDateSchema(ChineseSchema):
    """A 普法 calendar date (recurring every year)."""

    class Meta:
        unknown = EXCLUDE

    organisation_id = Int(load_default=None, strict=False, allow_none=True)
    title = Str(required=True, validate=length(100, 2))
    month = Int(required=True, strict=False, validate=in_range(1, 12))
    day = Int(required=True, strict=False, validate=in_range(1, 31))
    end_month = Int(load_default=None, strict=False, allow_none=True, validate=in_range(1, 12))
    end_day = Int(load_default=None, strict=False, allow_none=True, validate=in_range(1, 31))
    description = Str(load_default="", validate=length(1000))
    hot_issue = Str(load_default="", validate=length(60))
    menu_item_ids = List(Int(strict=False), load_default=list, validate=length(20))
    collection_id = Int(load_default=None, strict=False, allow_none=True)  # 推荐专题

    @pre_load
    def _blanks(self, data, **kwargs):
        return _blank_to_missing(dict(data))

    @validates_schema
    def _valid_day(self, data, **kwargs):
        """29 February is allowed (shown on 28 February in other years); 31 April is not."""
        import datetime as dt

        for month_key, day_key in (("month", "day"), ("end_month", "end_day")):
            month, day = data.get(month_key), data.get(day_key)
            if (month is None) != (day is None):
                raise ValidationError("结束日期的月和日须同时填写。", "end_day")
            if month and day:
                try:
                    dt.date(2024, month, day)
                except ValueError:
                    raise ValidationError("日期不存在。", day_key) from None
