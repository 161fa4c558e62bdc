import Foundation

/// One sentence of a settlement's explanation, in both languages, tied to the figure it explains.
public struct ExplanationSentence: Sendable, Hashable, Codable {
    /// The settlement field the sentence explains (`preSelfPayFen`), or `coverage`.
    public var field: String
    public var zh: String
    public var en: String
}

extension HospitalLevel {
    public var nameZh: String {
        switch self {
        case .tertiary: return "三级"
        case .secondary: return "二级"
        case .primary: return "一级"
        }
    }
}

extension InsuranceScheme {
    public var nameZh: String {
        switch self {
        case .employee: return "职工医保"
        case .resident: return "居民医保"
        }
    }

    public var nameEn: String {
        switch self {
        case .employee: return "employee scheme"
        case .resident: return "resident scheme"
        }
    }
}

extension NotCoveredReason {
    /// Why the fund pays nothing, as the patient reads it.
    public var sentence: (zh: String, en: String) {
        switch self {
        case .noCoverage:
            return ("未关联有效的医保身份，本单按自费结算", "No verified, active insurance coverage: the bill is self-paid")
        case .schemeNotCovered:
            return ("该险种不适用本地区“互联网+”医保政策，本单按自费结算",
                    "The policy has no terms for this scheme: the bill is self-paid")
        case .noPolicyInForce:
            return ("服务当日本地区没有生效的医保政策，本单按自费结算", "No policy of the region is in force on the service day: the bill is self-paid")
        case .conditionNotCovered:
            return ("所治疾病不在医保支付的慢病范围内，本单按自费结算", "The condition treated is not covered by the policy: the bill is self-paid")
        case .institutionNotAdmitted:
            return ("该机构不是本政策的医保定点机构，本单按自费结算",
                    "The institution is not admitted under the policy: the bill is self-paid")
        case .priorVisitMissing:
            return ("未找到符合政策的线下就诊记录，本单按自费结算",
                    "No in-person visit meets the policy's prior-visit rule: the bill is self-paid")
        case .quotaExhausted:
            return ("该机构本月医保额度已用完，本单按自费结算", "The institution's insurance budget for the month is used up: the bill is self-paid")
        }
    }
}

extension Settlement {
    /// The explanation: the coverage, then one sentence per figure that is not zero (the total,
    /// the fund, the self share and the cash are always shown), in the order a patient reads a
    /// bill: the total, each part they pay and why, the fund's payment, their share, how it is paid.
    public func explanation(policy: RegionPolicy) -> [ExplanationSentence] {
        var sentences: [ExplanationSentence] = []
        func say(_ field: String, _ zh: String, _ en: String, _ fen: Int64, always: Bool = false) {
            guard always || fen != 0 else { return }
            sentences.append(ExplanationSentence(field: field, zh: "\(zh)：\(Yuan.text(fen)) 元", en: "\(en): \(Yuan.text(fen)) yuan"))
        }
        switch coverage {
        case .covered:
            sentences.append(ExplanationSentence(
                field: "coverage",
                zh: "按\(policy.name.zh)（\(policy.version) 版）\(scheme.nameZh)结算，\(level.nameZh)医疗机构报销比例 \(Yuan.percent(ratioBp))",
                en: "Settled under \(policy.name.en) (version \(policy.version)), \(scheme.nameEn), \(level.rawValue) level: the fund pays \(Yuan.percent(ratioBp)) above the deductible"))
        case .notCovered(let reason):
            let sentence = reason.sentence
            sentences.append(ExplanationSentence(field: "coverage", zh: sentence.zh, en: sentence.en))
        }
        let terms = policy.schemes[scheme]
        say("totalFen", "费用总额", "Total bill", totalFen, always: true)
        say("fullOwnPayFen", "全自费（目录外药品及不予支付的项目）", "Wholly self-paid (unlisted drugs and items not covered)", fullOwnPayFen)
        say("overLimitFen", "超限价自付", "Above the price limit, self-paid", overLimitFen)
        say("preSelfPayFen", "乙类药品先行自付 \(Yuan.percent(policy.classBSelfPayFirstBp))",
            "Class-B drugs, share paid first (\(Yuan.percent(policy.classBSelfPayFirstBp)))", preSelfPayFen)
        say("inScopeFen", "符合医保支付范围", "In the policy's scope", inScopeFen)
        if let terms {
            say("deductibleFen", "起付线自付（年度起付线 \(Yuan.text(terms.deductibleFen)) 元）",
                "Deductible paid by you (yearly deductible \(Yuan.text(terms.deductibleFen)) yuan)", deductibleFen)
        }
        say("fixedFundFen", "诊查费由统筹基金定额支付", "Consultation fee paid by the fund as a fixed amount", fixedFundFen)
        say("coInsuranceFen", "起付线以上按比例自付（基金支付 \(Yuan.percent(ratioBp))）",
            "Your share above the deductible (the fund pays \(Yuan.percent(ratioBp)))", coInsuranceFen)
        if let terms {
            say("overCapFen", "超过年度封顶线（\(Yuan.text(terms.capFen)) 元）自付",
                "Above the yearly cap (\(Yuan.text(terms.capFen)) yuan), self-paid", overCapFen)
        }
        say("fundFen", "统筹基金支付", "Paid by the pooled fund", fundFen, always: true)
        say("selfShareFen", "个人负担合计", "All you pay", selfShareFen, always: true)
        say("personalAccountFen", "个人账户支付", "From your personal account", personalAccountFen)
        say("cashFen", "现金支付", "Paid in cash (wallet)", cashFen, always: true)
        return sentences
    }
}
