"""The policies rendered from the inventory cover every clause of the seed, in both languages."""

import re

import pytest

from pledge.inventory.diff import text_lines
from pledge.inventory.loader import current_site

# Each clause of seed/privacy-policy.zh.txt (its heading in English), with words showing it is
# covered: (Chinese words, English words).
SEED_CLAUSES = {
    "introduction": (
        ["letsgonex.cn", "隐私是我们网站访问者的重要关注点"],
        ["letsgonex.cn", "privacy matters to the visitors of our website"],
    ),
    "user consent": (
        ["您同意本隐私政策的条款", "要求我们不联系您或您的组织"],
        [
            "you agree to the terms of this privacy policy",
            "not to contact you or your organisation",
        ],
    ),
    "personal information": (
        ["“个人信息”是指允许某人识别或联系您的信息"],
        ["“Personal information” is information that lets someone identify or contact you"],
    ),
    "anonymous information": (
        ["“匿名信息”是指不能直接单独识别您的信息"],
        ["“Anonymous information”"],
    ),
    "types of information collected": (
        ["通过社交媒体平台", "您可能无法充分利用我们的某些服务", "最少信息"],
        ["social media platforms", "may not be able to make full use", "the minimum needed"],
    ),
    "visitors interested in products, support or services": (
        ["雇主名称", "您如何了解 Gonex", "业务需求简介"],
        ["Employer", "How you heard of Gonex", "Your business need"],
    ),
    "visitors giving feedback": (
        ["对软件、支持或服务的评论", "对网站的评论"],
        ["Comments on our software, support or services", "Comments on the website"],
    ),
    "visitors wanting to learn more": (
        ["开发人员", "许可人", "分销商", "主题", "消息"],
        ["Developer", "Licensor", "Distributor", "Subject", "Message"],
    ),
    "email through the mailto links": (
        ["通过网站上的电子邮件链接发送的邮件", "可以通过技术手段收集的信息", "其他来源"],
        [
            "Email sent through the links on our site",
            "collected by technical means",
            "other sources",
        ],
    ),
    "technical collection": (
        ["浏览器类型", "浏览器语言", "IP 地址", "访问时间", "我们跟踪 IP 地址以分析我们的网页流量"],
        [
            "Browser type",
            "Browser language",
            "IP address",
            "Time of access",
            "We track IP addresses",
        ],
    ),
    "cookies and web beacons": (
        ["推广或联盟链接", "会话 Cookie", "您不需要打开 Cookie 就可以访问我们的网站", "无法关闭"],
        [
            "promotional or affiliate link",
            "session cookie",
            "You do not need to turn cookies on",
            "cannot be turned off",
        ],
    ),
    "identifying visitors": (["识别您的组织"], ["identify your organisation"]),
    "use of personal information": (
        ["处理求职申请", "电子新闻简报和推广邮件"],
        ["job application", "email newsletters"],
    ),
    "disclosure of personal information": (
        [
            "我们不会出售、交易或出租您的个人信息",
            "客户名单",
            "客户数据分析",
            "市场情报",
            "潜在客户",
        ],
        [
            "We do not sell, trade or rent",
            "Customer list",
            "Customer data",
            "Market intelligence",
            "Lead generation",
        ],
    ),
    "disclosure when the law requires": (
        ["遵守法律义务", "保护和捍卫", "在紧急情况下", "防止法律责任"],
        [
            "comply with a legal obligation",
            "protect and defend",
            "in an emergency",
            "prevent legal liability",
        ],
    ),
    "future communications": (["定期向您发送", "退订"], ["from time to time", "unsubscribe"]),
    "sharing with affiliates": (
        ["子公司和其他关联公司", "被其他公司收购", "选择不与关联公司共享您的信息"],
        [
            "subsidiaries and other affiliates",
            "acquired by another company",
            "opt out of sharing with our affiliates",
        ],
    ),
    "use and disclosure of anonymous information": (
        ["以汇总形式", "网站页面的受欢迎程度", "阻止此类识别和/或联系"],
        ["in aggregate", "how popular its pages are", "stop such identification and/or contact"],
    ),
    "disclosure required by law": (
        ["传票", "结合起来以识别您"],
        ["subpoena", "combine anonymous information"],
    ),
    "choices and future communications": (
        [
            "是否希望接收我们未来的通信",
            "帐户创建表单上的复选框",
            "重新订阅",
            "无论您的电子邮件偏好如何",
        ],
        [
            "whether you want to receive future communications",
            "account creation form",
            "subscribe again",
            "Whatever your email preferences",
        ],
    ),
    "access to information": (
        ["社交媒体平台上收集的信息", "service@letsgonex.com", "作为数据主体"],
        ["on any of our social media platforms", "service@letsgonex.com", "as a data subject"],
    ),
    "minors": (
        ["不出售供未成年人购买的产品", "18 周岁以下", "13 周岁以下", "14 周岁以下"],
        ["does not sell products for purchase by minors", "Under 18", "Under 13", "Under 14"],
    ),
    "feedback": (
        ["不会将此类反馈与您的个人信息关联"],
        ["we do not associate it with your personal information"],
    ),
    "links to other sites": (
        ["本隐私政策的条款不适用于这些外部网站"],
        ["do not apply to those outside sites"],
    ),
    "security": (
        ["防火墙", "受控设施", "业务需要的人员", "无法消除", "加密"],
        [
            "firewall",
            "controlled facility",
            "business need",
            "cannot remove every security risk",
            "encryption",
        ],
    ),
    "revisions and updates": (
        ["实质性变更", "您必须停止使用我们的网站", "永远不会", "保护减少"],
        ["material change", "you must stop using our site", "will never", "reduces the protection"],
    ),
    "how to contact us": (
        ["获取本隐私政策的副本", "以书面形式", "我们认真对待每一项投诉"],
        ["a copy of this privacy policy", "in writing", "We take every complaint seriously"],
    ),
    "book a free demo": (
        [
            "预约免费演示",
            "安排专家与您面对面或线上沟通",
            "提交表单即表示您同意我们按照本隐私政策处理您的个人信息",
        ],
        [
            "Book a free demo",
            "arrange for an expert to meet you, in person or online",
            "By sending a form you agree",
        ],
    ),
}


def readable(html: str) -> str:
    return "\n".join(text_lines(html))


@pytest.fixture(scope="module")
def privacy():
    texts = current_site().texts["privacy"]
    return {language: readable(texts[language]) for language in ("zh-hans", "en")}


@pytest.mark.parametrize("clause", list(SEED_CLAUSES))
def test_the_chinese_policy_covers_the_seed_clause(privacy, clause):
    for words in SEED_CLAUSES[clause][0]:
        assert words in privacy["zh-hans"], (clause, words)


@pytest.mark.parametrize("clause", list(SEED_CLAUSES))
def test_the_english_policy_covers_the_seed_clause(privacy, clause):
    for words in SEED_CLAUSES[clause][1]:
        assert words in privacy["en"], (clause, words)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_declared_field_is_listed_in_the_policy(privacy, language):
    site = current_site()
    for collection in site.inventory.collection_points:
        assert collection.name.get(language) in privacy[language]
        for field in collection.field_list:
            assert field.label.get(language) in privacy[language], (collection.key, field.key)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_processor_affiliate_and_right_is_listed(privacy, language):
    inventory = current_site().inventory
    entries = [
        *inventory.processors.values(),
        *inventory.affiliates.values(),
        *inventory.rights.requests.values(),
    ]
    for entry in entries:
        assert entry.name.get(language) in privacy[language], entry.key


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_cookie_policy_lists_every_cookie_with_its_lifetime(language):
    inventory = current_site().inventory
    text = readable(current_site().texts["cookies"][language])
    for cookie in inventory.cookies.values():
        row = next(line for line in text.splitlines() if line.startswith(cookie.name + " ·"))
        assert cookie.description.get(language) in row
    sessions = "直至您关闭浏览器" if language == "zh-hans" else "until you close the browser"
    assert re.search(rf"^pledge_arrival · .*{sessions}", text, re.M)


def test_no_policy_text_loads_anything_from_another_host():
    for by_language in current_site().texts.values():
        for html in by_language.values():
            assert not re.search(r'(?:src|href)="(?:https?:)?//', html)
