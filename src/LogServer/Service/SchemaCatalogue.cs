namespace Attest.LogServer.Service;

/// <summary>A credential schema: its id, display name, category and the claim fields a mint must carry.</summary>
public sealed record Schema(string Id, string Name, string Category, IReadOnlyList<string> ClaimFields)
{
    /// <summary>Schemas whose claims may carry fields beyond the listed ones.</summary>
    public bool AllowsExtraFields => Id is "custom" or "attestation";
}

/// <summary>
/// The credential schema catalogue, exactly as the Truthlocks mint API lists it
/// (shared/seeds/002: "Credential Schema Catalogue", 38 schemas).
/// </summary>
public static class SchemaCatalogue
{
    public static readonly IReadOnlyList<Schema> All =
    [
        new("verifiable-id", "Verifiable ID", "Identity", ["full_name", "employee_id", "department", "title", "start_date"]),
        new("passport", "Passport", "Identity", ["full_name", "nationality", "passport_number", "date_of_birth", "expiry_date", "issuing_country"]),
        new("drivers-license", "Driver’s License", "Identity", ["full_name", "license_number", "state", "class", "expiry_date", "date_of_birth"]),
        new("government-id", "Government ID", "Identity", ["full_name", "id_number", "id_type", "issuing_authority", "country", "expiry_date"]),
        new("self-sovereign-id", "Self-Sovereign ID", "Identity", ["did", "display_name", "created_at"]),
        new("employment-verification", "Employment Verification", "Employment", ["employee_name", "employer", "position", "department", "employment_type", "start_date", "end_date"]),
        new("professional-role", "Professional Role", "Employment", ["full_name", "title", "organization", "department", "effective_date"]),
        new("membership-card", "Membership Card", "Employment", ["member_name", "organization", "membership_id", "tier", "valid_from", "valid_to"]),
        new("professional-certification", "Professional Certification", "Employment", ["holder_name", "certification_name", "issuing_body", "certification_id", "issued_date", "expiry_date"]),
        new("license", "License", "Employment", ["holder_name", "license_type", "license_number", "issuing_authority", "jurisdiction", "issued_date", "expiry_date"]),
        new("accreditation", "Accreditation", "Employment", ["entity_name", "accreditation_body", "standard", "scope", "valid_from", "valid_to"]),
        new("degree", "Degree", "Education", ["student_name", "institution", "degree_type", "field_of_study", "graduation_date", "honors"]),
        new("completion-cert", "Completion Certificate", "Education", ["participant_name", "program_name", "institution", "completion_date", "hours"]),
        new("course-credit", "Course Credit", "Education", ["student_name", "course_name", "institution", "credits", "grade", "semester"]),
        new("transcript", "Transcript", "Education", ["student_name", "institution", "program", "gpa", "total_credits", "issue_date"]),
        new("micro-credential", "Micro-Credential", "Education", ["earner_name", "credential_name", "issuer", "skills", "earned_date"]),
        new("training-completion", "Training Completion", "Education", ["trainee_name", "training_program", "provider", "completion_date", "score", "certificate_id"]),
        new("medical-license", "Medical License", "Healthcare", ["practitioner_name", "license_number", "specialty", "state", "issued_date", "expiry_date"]),
        new("dea-registration", "DEA Registration", "Healthcare", ["registrant_name", "dea_number", "schedules", "business_activity", "expiry_date"]),
        new("board-certification", "Board Certification", "Healthcare", ["physician_name", "board", "specialty", "certification_date", "expiry_date"]),
        new("health-credential", "Health Credential", "Healthcare", ["patient_name", "credential_type", "provider", "date", "details"]),
        new("vaccination-record", "Vaccination Record", "Healthcare", ["patient_name", "vaccine_name", "manufacturer", "lot_number", "date_administered", "dose_number", "site"]),
        new("aml-kyc", "AML/KYC Check", "Compliance", ["entity_name", "check_type", "result", "risk_level", "verified_by", "verified_at"]),
        new("security-clearance", "Security Clearance", "Compliance", ["holder_name", "clearance_level", "granting_agency", "granted_date", "expiry_date"]),
        new("sam-gov", "SAM.gov Registration", "Compliance", ["entity_name", "cage_code", "uei", "registration_status", "expiry_date"]),
        new("jurisdiction-approval", "Jurisdiction Approval", "Compliance", ["entity_name", "jurisdiction", "approval_type", "approved_date", "conditions"]),
        new("attestation-of-will", "Attestation of Will", "Compliance", ["declarant_name", "declaration", "witness", "date"]),
        new("bank-verification", "Bank Verification", "Financial", ["account_holder", "bank_name", "account_type", "routing_number_last4", "verified_date"]),
        new("credit-attestation", "Credit Attestation", "Financial", ["entity_name", "credit_score_range", "reporting_agency", "assessment_date"]),
        new("income-verification", "Income Verification", "Financial", ["individual_name", "employer", "annual_income_range", "verification_date", "tax_year"]),
        new("skill-badge", "Skill Badge", "Skills & Training", ["earner_name", "skill_name", "proficiency_level", "assessed_by", "earned_date"]),
        new("competency", "Competency Attestation", "Skills & Training", ["individual_name", "competency", "level", "assessor", "assessment_date"]),
        new("industry-cert", "Industry Certification", "Skills & Training", ["holder_name", "certification", "issuing_body", "cert_id", "issued_date", "expiry_date"]),
        new("product-authenticity", "Product Authenticity", "Supply Chain", ["product_name", "sku", "serial_number", "manufacturer", "manufactured_date", "origin_country"]),
        new("chain-of-custody", "Chain of Custody", "Supply Chain", ["item_description", "from_entity", "to_entity", "transfer_date", "location", "condition"]),
        new("origin-verification", "Origin Verification", "Supply Chain", ["product_name", "origin_country", "origin_region", "certifying_body", "verified_date"]),
        new("custom", "Custom", "Other", ["subject", "type", "details"]),
        new("attestation", "Generic Attestation", "Other", ["subject", "claim", "evidence"]),
    ];

    private static readonly Dictionary<string, Schema> ById = All.ToDictionary(s => s.Id, StringComparer.Ordinal);

    public static Schema? Find(string id) => ById.GetValueOrDefault(id);
}
