"""Analyses of a trained precursor model, as in Ong et al. section 6."""
