#!/usr/bin/env python3
"""Seeds the fuzzing gateway with one resource of each kind, so that every operation can reach a real
one: pending association requests (approval, rejection), current employees (position update, unlink),
attachments (read, delete) and jobs (the unit's, the service's). Prints `NAME=value` lines.

The unit's association code is set to the OpenAPI document's example (`K7M2Q9XA`), so that the
document's example of the personal portal's request reaches that unit. Its profile is completed
through the gateway with the document's examples of the four steps (the code is usable only then);
the attachments step's example names three attachment ids, which the seed gives copies of three
uploaded, accepted attachments (SQL), so that the example is a valid step for the fuzzer too.

Usage: fuzz-seed.py GATEWAY_URL UNIT_TOKEN SERVICE_TOKEN POSTGRES_CONNINFO UNIT_CODE PNG_FILE
"""
import json
import subprocess
import sys
import urllib.request

EXAMPLE_CODE = "K7M2Q9XA"
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(birth, sequence):
    """A GB 11643-1999 number (Beijing Chaoyang, `birth` YYYYMMDD) with its check character."""
    body = f"110105{birth}{sequence:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


def call(base, method, path, token, body=None, content_type="application/json"):
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Prefer", "wait=10")
    if data is not None:
        request.add_header("Content-Type", content_type)
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def psql(conninfo, sql):
    subprocess.run(["psql", conninfo, "-v", "ON_ERROR_STOP=1", "-qc", sql], check=True)


def complete_profile(base, unit_token, conninfo, content):
    """The four steps from the document's examples, then the submission (its job waited for)."""
    with open("schemas/openapi.json", encoding="utf-8") as file:
        schemas = json.load(file)["components"]["schemas"]
    attachments = schemas["AttachmentsStep"]["example"]
    for item in attachments["items"]:
        uploaded = call(base, "POST", f"/v1/attachments?kind={item['kind']}&fileName={item['kind']}.png", unit_token,
                        content, "application/octet-stream")
        assert uploaded["attachment"]["status"] == "accepted", uploaded
        columns = ("unit_id, kind, file_name, byte_count, sha256, content, status, reason, detail, warnings, "
                   "detected_type, width, height, uploaded_at, validated_at")
        psql(conninfo, f"INSERT INTO attachments (id, {columns}) SELECT '{item['attachmentId']}', {columns} "
                       f"FROM attachments WHERE id = '{uploaded['attachment']['id']}'")
    for step, schema in (("general-information", "GeneralInformation"), ("qualifications", "QualificationsStep"),
                         ("business-handler", "BusinessHandler"), ("attachments", "AttachmentsStep")):
        call(base, "PUT", f"/v1/unit/profile/draft/{step}", unit_token, schemas[schema]["example"])
    submitted = call(base, "POST", "/v1/unit/profile/submission", unit_token, b"", "application/json")
    assert submitted["job"]["status"] == "succeeded", submitted


def main():
    base, unit_token, service_token, conninfo, unit, png = sys.argv[1:7]
    call(base, "GET", "/v1/employee-summary", unit_token)
    psql(conninfo, f"UPDATE units SET association_code = '{EXAMPLE_CODE}' WHERE id = '{unit}'")
    with open(png, "rb") as file:
        content = file.read()
    complete_profile(base, unit_token, conninfo, content)
    requests = []
    for index in range(4):
        person = {"name": f"种子人员{index}", "residentId": resident_id(f"199{index}0517", 11 + 2 * index),
                  "education": [], "workHistory": []}
        accepted = call(base, "POST", "/v1/service/association-requests", service_token,
                        {"associationCode": EXAMPLE_CODE, "person": person})
        assert accepted["job"]["status"] == "succeeded", accepted
        requests.append(accepted)
    for employee in requests[2:]:
        approval = {"entryDate": "2025-03-01", "position": "数据分析师"}
        decided = call(base, "POST", f"/v1/association-requests/{employee['associationId']}/approval", unit_token,
                       approval)
        assert decided["job"]["status"] == "succeeded", decided
    uploads = []
    for name in ("read.png", "delete.png"):
        uploads.append(call(base, "POST", f"/v1/attachments?kind=other&fileName={name}", unit_token, content,
                            "application/octet-stream"))
    notice = call(base, "POST", "/v1/service/notices", service_token,
                  {"title": "种子通知", "documentUrl": "https://example.cn/seed.pdf"})
    print(f"FUZZ_NOTICE={notice['noticeId']}")
    print(f"FUZZ_PENDING_APPROVE={requests[0]['associationId']}")
    print(f"FUZZ_PENDING_REJECT={requests[1]['associationId']}")
    print(f"FUZZ_EMPLOYEE_POSITION={requests[2]['associationId']}")
    print(f"FUZZ_EMPLOYEE_UNLINK={requests[3]['associationId']}")
    print(f"FUZZ_ATTACHMENT_READ={uploads[0]['attachment']['id']}")
    print(f"FUZZ_ATTACHMENT_DELETE={uploads[1]['attachment']['id']}")
    print(f"FUZZ_UNIT_JOB={uploads[0]['job']['id']}")
    print(f"FUZZ_SERVICE_JOB={requests[0]['job']['id']}")


if __name__ == "__main__":
    main()
