"""Integrity-risk inventories (廉政风险点排查清单): risk points, measures, campaigns."""
