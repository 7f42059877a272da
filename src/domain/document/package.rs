//! The submission package (送审材料) a legality review needs: a drafting explanation (起草说明)
//! and the legal bases (制定依据) always, and the record of the public consultation (征求意见
//!及采纳情况) when there was one. The review clock is meant to start on complete materials;
//! what is missing is shown in the legal office's queue and may be asked for with
//! `returnMaterials`. It never refuses a submission: a short package is returned, not blocked.

use super::*;

impl MaterialKind {
    /// The words a material's name carries when it is this kind (a package submitted as names
    /// only, before files were attached).
    fn named_by(self) -> &'static [&'static str] {
        match self {
            MaterialKind::DraftingExplanation => &["起草说明", "制定说明"],
            MaterialKind::ConsultationReport => &["征求意见"],
            MaterialKind::LegalBasis => &["依据"],
            MaterialKind::PreliminaryReview => &["初审", "合法性审查意见"],
            MaterialKind::Other => &[],
        }
    }
}

impl NormativeDocument {
    /// The kinds of material the current submission lacks, neither attached as a file of that
    /// kind nor named in the submitted list. Empty before submission.
    pub fn missing_materials(&self) -> Vec<MaterialKind> {
        let Some(review) = self.review() else {
            return vec![];
        };
        let mut needed = vec![MaterialKind::DraftingExplanation, MaterialKind::LegalBasis];
        if !self.consultations.is_empty() {
            needed.push(MaterialKind::ConsultationReport);
        }
        needed
            .into_iter()
            .filter(|kind| {
                let attached = self.attachments.iter().any(|a| a.kind == *kind);
                let named = review
                    .materials
                    .iter()
                    .any(|m| kind.named_by().iter().any(|w| m.contains(w)));
                !attached && !named
            })
            .collect()
    }
}
